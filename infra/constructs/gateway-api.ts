import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  JsonSchemaType,
  JsonSchemaVersion,
  LambdaIntegration,
  LogGroupLogDestination,
  type Method,
  MethodLoggingLevel,
  RequestValidator,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { API_PATHS, BINARY_MEDIA_TYPES } from '../api-routes.ts';

export const STAGE_NAME = 'prod';

/** Seconds a throttled caller is told to wait before retrying. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * API Gateway's own 403s on the IAM-authorized route, each with the code Tencent gives the same
 * failure of a UserSig, SigV4 being the gateway's stand-in for it: none (70002), expired (70001),
 * failing its check (70005); a valid signature of a principal without `execute-api:Invoke` gets
 * Tencent's "no permission for this call" (60010). API Gateway also answers a path it does not
 * serve with MISSING_AUTHENTICATION_TOKEN.
 */
export const AUTHENTICATION_FAILURES = [
  { type: ResponseType.MISSING_AUTHENTICATION_TOKEN, code: 70002 },
  { type: ResponseType.EXPIRED_TOKEN, code: 70001 },
  { type: ResponseType.INVALID_SIGNATURE, code: 70005 },
  { type: ResponseType.ACCESS_DENIED, code: 60010 },
] as const;

export interface GatewayApiProps {
  /** The REST API's name: AWS/ApiGateway metrics are keyed by it (`ApiName`), so one per stack. */
  name: string;
  portraitGetFunction: IFunction;
  callbackFunction: IFunction;
  /** Stage-wide throttle (requests/s and bucket size) for every method. */
  throttleRate: number;
  throttleBurst: number;
  /** The callback method's own throttle. */
  callbackThrottleRate: number;
  callbackThrottleBurst: number;
  logRetention: RetentionDays;
}

/**
 * The REST API: `POST /v4/profile/portrait_get` (IAM/SigV4, body validated) and
 * `POST /tencent-im/callback` (Tencent's token-signed webhooks), stage and method throttling,
 * JSON access logs, and gateway responses in Tencent's reply shape.
 */
export class GatewayApi extends Construct {
  readonly api: RestApi;
  readonly portraitGetMethod: Method;
  readonly callbackMethod: Method;
  readonly accessLogs: LogGroup;
  readonly executionLogs: LogGroup;

  constructor(scope: Construct, id: string, props: GatewayApiProps) {
    super(scope, id);
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const callbackMethodPath = `/${API_PATHS.callback}/POST`;
    this.api = new RestApi(this, 'Api', {
      restApiName: props.name,
      description: "Portrait gateway: Tencent Chat's portrait_get behind IAM, a cache and the rate ceiling",
      endpointTypes: [EndpointType.REGIONAL],
      binaryMediaTypes: [...BINARY_MEDIA_TYPES],
      // API Gateway writes access logs only once the account has a CloudWatch role; this is the
      // region-wide setting, kept when the stack goes so other APIs keep logging.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: STAGE_NAME,
        throttlingRateLimit: props.throttleRate,
        throttlingBurstLimit: props.throttleBurst,
        loggingLevel: MethodLoggingLevel.ERROR,
        // Request and response bodies hold user profiles: never in the execution log.
        dataTraceEnabled: false,
        metricsEnabled: true,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: accessLogFormat(),
        methodOptions: {
          // A method's settings replace the stage's rather than merge with them: repeat the logging.
          [callbackMethodPath]: {
            throttlingRateLimit: props.callbackThrottleRate,
            throttlingBurstLimit: props.callbackThrottleBurst,
            loggingLevel: MethodLoggingLevel.ERROR,
            dataTraceEnabled: false,
            metricsEnabled: true,
          },
        },
      },
    });
    // API Gateway writes the execution log into a group it names and would create itself, outside the
    // stack, never expiring and left behind by `cdk destroy`. Created here before the stage, it has
    // the stack's retention and goes with it.
    this.executionLogs = new LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${STAGE_NAME}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api.deploymentStage.node.addDependency(this.executionLogs);
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The role API Gateway uses to write logs is one per account and region, shared by every REST API, so it ' +
          'cannot be scoped to this stack; AWS maintains this policy for exactly that role.',
      });
    }
    Validations.of(this.api.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'No WAF web ACL: the data route admits only SigV4-signed requests of IAM principals, the callback route ' +
        'only requests signed with the Tencent callback token (checked by the function), and stage and method ' +
        'throttling bound the rate; a web ACL would add cost without adding a control these lack.',
    });

    const validator = new RequestValidator(this, 'Validator', {
      restApi: this.api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    this.portraitGetMethod = this.api.root
      .resourceForPath(API_PATHS.portraitGet)
      .addMethod('POST', new LambdaIntegration(props.portraitGetFunction, { allowTestInvoke: false }), {
        authorizationType: AuthorizationType.IAM,
        requestValidator: validator,
        requestModels: { 'application/json': this.portraitGetModel() },
      });
    Validations.of(this.portraitGetMethod).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'Callers are AWS workloads: the method uses IAM (SigV4) authorization, not a Cognito user pool.',
    });

    this.callbackMethod = this.api.root
      .resourceForPath(API_PATHS.callback)
      // No request validation either: a webhook without Sign or RequestTime gets the function's own
      // refusal (401, counted in CallbackRejected), the same answer `npm start` gives.
      .addMethod('POST', new LambdaIntegration(props.callbackFunction, { allowTestInvoke: false }), {
        authorizationType: AuthorizationType.NONE,
      });
    for (const id of ['AwsSolutions-APIG4', 'AwsSolutions-COG4']) {
      Validations.of(this.callbackMethod).acknowledge({
        id,
        reason:
          'Tencent Chat calls this webhook and can sign neither SigV4 nor a Cognito token; the function verifies ' +
          "Tencent's token signature (Sign = sha256(token + RequestTime), at most a minute old) and SdkAppid, and " +
          'the method has its own throttle.',
      });
    }

    this.addTencentShapedResponses();
  }

  /**
   * Types only: a missing field gets the function's own, Tencent-exact answer (40002 for To_Account),
   * while a body that is not even the right shape never costs an invocation.
   */
  private portraitGetModel() {
    return this.api.addModel('PortraitGetRequest', {
      contentType: 'application/json',
      modelName: 'PortraitGetRequest',
      schema: {
        schema: JsonSchemaVersion.DRAFT4,
        title: 'PortraitGetRequest',
        type: JsonSchemaType.OBJECT,
        properties: {
          To_Account: { type: JsonSchemaType.ARRAY, items: { type: JsonSchemaType.STRING } },
          TagList: { type: JsonSchemaType.ARRAY, items: { type: JsonSchemaType.STRING } },
        },
      },
    });
  }

  /**
   * Answers API Gateway gives itself, in the reply shape callers already parse.
   *
   * INTEGRATION_FAILURE is what API Gateway raises when Lambda's Invoke API refuses the call, which
   * with reserved concurrency means a throttle (Lambda's 429, TooManyRequestsException): left alone
   * it reaches the caller as 500 "Internal server error". It becomes 429 with Retry-After, like the
   * stage throttle. Lambda's other refusals (its own 5xx) land here too and deserve the same advice;
   * a function that ran and failed is reported differently (a malformed proxy response, 502).
   */
  private addTencentShapedResponses(): void {
    const retryLater = { 'Retry-After': `'${RETRY_AFTER_SECONDS}'` };
    const responses: Array<{ type: ResponseType; statusCode?: string; code: number; info: string }> = [
      { type: ResponseType.THROTTLED, statusCode: '429', code: 60007, info: '$context.error.messageString' },
      {
        type: ResponseType.INTEGRATION_FAILURE,
        statusCode: '429',
        code: 60007,
        info: JSON.stringify('the gateway is at its concurrency limit; retry later'),
      },
      // SigV4 refusals, with the code of Tencent's own refusal of a UserSig (docs/api.md, "Statuses").
      ...AUTHENTICATION_FAILURES.map(({ type, code }) => ({
        type,
        code,
        info: '$context.error.messageString',
      })),
      { type: ResponseType.BAD_REQUEST_BODY, code: 40001, info: '$context.error.messageString' },
      { type: ResponseType.BAD_REQUEST_PARAMETERS, code: 40001, info: '$context.error.messageString' },
      { type: ResponseType.DEFAULT_4XX, code: 40001, info: '$context.error.messageString' },
      { type: ResponseType.DEFAULT_5XX, code: 70500, info: '$context.error.messageString' },
    ];
    for (const { type, statusCode, code, info } of responses) {
      this.api.addGatewayResponse(type.responseType, {
        type,
        ...(statusCode && { statusCode, responseHeaders: retryLater }),
        templates: {
          'application/json': `{"ActionStatus":"FAIL","ErrorCode":${code},"ErrorInfo":${info},"ErrorDisplay":""}`,
        },
      });
    }
  }
}

/**
 * One JSON line per request. `integrationStatus` 429 is a Lambda throttle; `errorType` names the
 * gateway response that answered (THROTTLED, INTEGRATION_FAILURE, ...). Free-text fields are left
 * out: API Gateway does not escape them, and one quote would break the line's JSON.
 */
function accessLogFormat(): AccessLogFormat {
  const fields = {
    requestId: AccessLogField.contextRequestId(),
    time: AccessLogField.contextRequestTimeEpoch(),
    caller: AccessLogField.contextIdentityUserArn(),
    sourceIp: AccessLogField.contextIdentitySourceIp(),
    method: AccessLogField.contextHttpMethod(),
    resource: AccessLogField.contextResourcePath(),
    status: AccessLogField.contextStatus(),
    latencyMs: AccessLogField.contextResponseLatency(),
    integrationLatencyMs: AccessLogField.contextIntegrationLatency(),
    integrationStatus: AccessLogField.contextIntegrationStatus(),
    errorType: AccessLogField.contextErrorResponseType(),
    responseLength: AccessLogField.contextResponseLength(),
  };
  return AccessLogFormat.custom(JSON.stringify(fields));
}
