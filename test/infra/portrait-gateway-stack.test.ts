import type { CfnElement } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_PATHS } from '../../infra/api-routes.ts';
import { RETRY_AFTER_SECONDS, STAGE_NAME } from '../../infra/constructs/gateway-api.ts';
import {
  MAX_RECEIVE_COUNT,
  type PortraitGatewayStack,
  REQUEST_QUEUE_ACTIONS,
} from '../../infra/portrait-gateway-stack.ts';
import { queueBatchSize } from '../../infra/queue-batch.ts';
import { DEADLINE_MARGIN_MS } from '../../shared/invocation-deadline.ts';
import { GATEWAY_METRIC_NAMES, METRICS_NAMESPACE } from '../../shared/metric-catalog.ts';
import { PUBLISH_BUDGET_MS } from '../../shared/queue/results-publisher.ts';
import { missingHandlers, synthGatewayStack } from '../support/gateway-stack.ts';
import { catalogProblems, expressionMetrics, templateMetrics } from '../support/template-metrics.ts';

/** Values unlike the defaults, so every assertion also proves the value came from context. */
const CONTEXT = {
  secretName: 'tim/prod-app',
  timRegion: 'frankfurt',
  rateLimitPerSecond: 150,
  rateMarginMs: 40,
  cacheTtlSeconds: 900,
  negativeCacheTtlSeconds: 30,
  staleIfErrorSeconds: 7200,
  earlyRefreshMs: 500,
  maxAccountsPerRequest: 500,
  httpReservedConcurrency: 40,
  queueReservedConcurrency: 6,
  callbackReservedConcurrency: 3,
  apiThrottleRate: 80,
  apiThrottleBurst: 40,
  callbackThrottleRate: 10,
  callbackThrottleBurst: 3,
  logRetentionDays: 14,
  alarmTopicArn: 'arn:aws:sns:eu-central-1:123456789012:ops-alarms',
};

/** A stack name and region unlike the defaults: every name derived from them shows it. */
const STACK_NAME = 'PortraitGatewayStaging';
const REGION = 'eu-central-1';

/** API Gateway gives up on an integration after 29 s; Tencent on a call after 3 s. */
const API_GATEWAY_TIMEOUT_SECONDS = 29;
const TENCENT_TIMEOUT_SECONDS = 3;

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

const missing = missingHandlers();

const skipped = missing.length > 0 ? ` (skipped: ${missing.join(', ')} not written yet)` : '';

describe.skipIf(missing.length > 0)(`PortraitGatewayStack template${skipped}`, () => {
  let stack: PortraitGatewayStack;
  let template: Template;
  let resources: Record<string, Resource>;
  const idOf = (element: unknown) => stack.resolve(stack.getLogicalId(element as CfnElement)) as string;
  const fnId = (name: 'http' | 'queue' | 'callback') =>
    idOf(stack.functions[name].function.node.defaultChild);
  const fnProps = (name: 'http' | 'queue' | 'callback') => resources[fnId(name)]?.Properties ?? {};
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  /** The properties of the one resource of `type` that `matches`; throws when there is none. */
  const propsWhere = (type: string, matches: (props: Record<string, unknown>) => boolean = () => true) => {
    const found = ofType(type).find(([, r]) => matches(r.Properties));
    if (found === undefined) throw new Error(`no ${type} matches`);
    return found[1].Properties;
  };

  beforeAll(() => {
    ({ stack, template } = synthGatewayStack({ context: CONTEXT, stackName: STACK_NAME, region: REGION }));
    resources = template.toJSON().Resources;
  });

  describe.each([
    { name: 'http', reserved: CONTEXT.httpReservedConcurrency },
    { name: 'queue', reserved: CONTEXT.queueReservedConcurrency },
    { name: 'callback', reserved: CONTEXT.callbackReservedConcurrency },
  ] as const)('the $name function', ({ name, reserved }) => {
    it('runs nodejs24.x on arm64 with its reserved concurrency from context', () => {
      // Act
      const props = fnProps(name);

      // Assess
      expect(props).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        ReservedConcurrentExecutions: reserved,
      });
    });

    it('logs JSON into its own log group with the configured retention', () => {
      // Act
      const logging = fnProps(name).LoggingConfig as { LogGroup: { Ref: string }; LogFormat: string };

      // Assess
      expect(logging.LogFormat).toBe('JSON');
      expect(resources[logging.LogGroup.Ref]).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: CONTEXT.logRetentionDays },
      });
    });

    it('gets the configuration contract in its environment', () => {
      // Act
      const variables = (fnProps(name).Environment as { Variables: Record<string, unknown> }).Variables;

      // Assess
      expect(variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: STACK_NAME,
        POWERTOOLS_METRICS_NAMESPACE: 'PortraitGateway',
        TIM_SECRET_ID: CONTEXT.secretName,
        TIM_REGION: CONTEXT.timRegion,
        TABLE_NAME: { Ref: idOf(stack.table.node.defaultChild) },
        RATE_LIMIT_PER_SECOND: '150',
        RATE_MARGIN_MS: '40',
        CACHE_TTL_SECONDS: '900',
        NEGATIVE_CACHE_TTL_SECONDS: '30',
        STALE_IF_ERROR_SECONDS: '7200',
        EARLY_REFRESH_MS: '500',
        MAX_ACCOUNTS_PER_REQUEST: '500',
      });
      expect(variables.TIM_BASE_URL).toBeUndefined();
      expect(variables.RESULTS_QUEUE_URL).toEqual(
        name === 'queue' ? { Ref: idOf(stack.resultsQueue.node.defaultChild) } : undefined,
      );
    });
  });

  describe('timeouts', () => {
    it('let the HTTP function finish a retried Tencent call yet answer before API Gateway gives up', () => {
      // Act
      const timeout = fnProps('http').Timeout as number;

      // Assess
      expect(timeout).toBeGreaterThan(2 * TENCENT_TIMEOUT_SECONDS);
      expect(timeout).toBeLessThan(API_GATEWAY_TIMEOUT_SECONDS);
    });

    it('let the queue function serve a full batch at a sixth of the ceiling, and still publish', () => {
      // Act
      const timeout = fnProps('queue').Timeout as number;
      const mapping = propsWhere('AWS::Lambda::EventSourceMapping');
      const calls = ((mapping.BatchSize as number) * CONTEXT.maxAccountsPerRequest) / 100;

      // Assess: what the service gets is the timeout less the publish budget and the margin.
      const serveSeconds = timeout - PUBLISH_BUDGET_MS / 1000 - DEADLINE_MARGIN_MS / 1000;
      expect(serveSeconds).toBeGreaterThanOrEqual(calls / (CONTEXT.rateLimitPerSecond / 6));
    });

    it('keep the callback close to the 2 s Tencent waits for its answer', () => {
      // Assess
      expect(fnProps('callback').Timeout).toBeLessThanOrEqual(5);
    });
  });

  describe('REST API', () => {
    const methodFor = (path: string) => {
      const [resourceId] = ofType('AWS::ApiGateway::Resource').find(
        ([, r]) => r.Properties.PathPart === path.split('/').at(-1),
      ) ?? [''];
      return propsWhere(
        'AWS::ApiGateway::Method',
        (m) => (m.ResourceId as { Ref: string }).Ref === resourceId,
      );
    };

    it('authorizes portrait_get with IAM (SigV4) and validates its body before invoking', () => {
      // Act
      const method = methodFor(API_PATHS.portraitGet);
      const validatorId = (method.RequestValidatorId as { Ref: string }).Ref;
      const modelId =
        (method.RequestModels as Record<string, { Ref: string }>)['application/json']?.Ref ?? '';

      // Assess
      expect(method).toMatchObject({
        HttpMethod: 'POST',
        AuthorizationType: 'AWS_IAM',
        Integration: { Type: 'AWS_PROXY' },
      });
      expect(JSON.stringify(method.Integration)).toContain(fnId('http'));
      expect(resources[validatorId]?.Properties).toMatchObject({
        ValidateRequestBody: true,
        ValidateRequestParameters: true,
      });
      expect(resources[modelId]?.Properties).toMatchObject({
        ContentType: 'application/json',
        Schema: {
          type: 'object',
          properties: {
            To_Account: { type: 'array', items: { type: 'string' } },
            TagList: { type: 'array', items: { type: 'string' } },
          },
        },
      });
    });

    it('serves the callback without IAM, leaving the signature check to the function', () => {
      // Act
      const method = methodFor(API_PATHS.callback);

      // Assess
      expect(method).toMatchObject({ HttpMethod: 'POST', AuthorizationType: 'NONE' });
      expect(method.RequestValidatorId).toBeUndefined();
      expect(JSON.stringify(method.Integration)).toContain(fnId('callback'));
    });

    it('throttles the stage below the HTTP function and the callback on its own', () => {
      // Assess
      template.hasResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: Match.arrayWith([
          Match.objectLike({
            HttpMethod: '*',
            ResourcePath: '/*',
            ThrottlingRateLimit: CONTEXT.apiThrottleRate,
            ThrottlingBurstLimit: CONTEXT.apiThrottleBurst,
            LoggingLevel: 'ERROR',
            DataTraceEnabled: false,
          }),
          Match.objectLike({
            HttpMethod: 'POST',
            ResourcePath: '/~1tencent-im~1callback',
            ThrottlingRateLimit: CONTEXT.callbackThrottleRate,
            ThrottlingBurstLimit: CONTEXT.callbackThrottleBurst,
          }),
        ]),
      });
      expect(CONTEXT.apiThrottleBurst).toBeLessThanOrEqual(
        fnProps('http').ReservedConcurrentExecutions as number,
      );
    });

    it('writes JSON access logs that show Lambda throttles', () => {
      // Act
      const setting = propsWhere('AWS::ApiGateway::Stage').AccessLogSetting as {
        Format: string;
        DestinationArn: unknown;
      };

      // Assess
      expect(JSON.parse(setting.Format)).toMatchObject({
        requestId: '$context.requestId',
        caller: '$context.identity.userArn',
        status: '$context.status',
        integrationStatus: '$context.integrationStatus',
        errorType: '$context.error.responseType',
      });
      expect(JSON.stringify(setting.DestinationArn)).toContain(idOf(stack.api.accessLogs.node.defaultChild));
    });

    describe.each(['INTEGRATION_FAILURE', 'THROTTLED'])('the %s gateway response', (type) => {
      it('answers 429 with Retry-After and a Tencent-shaped 60007 body', () => {
        // Act
        const response = propsWhere('AWS::ApiGateway::GatewayResponse', (r) => r.ResponseType === type);
        const body = (response.ResponseTemplates as Record<string, string>)['application/json'];

        // Assess
        expect(response).toMatchObject({
          StatusCode: '429',
          ResponseParameters: { 'gatewayresponse.header.Retry-After': `'${RETRY_AFTER_SECONDS}'` },
        });
        const asJson = JSON.parse(body?.replace('$context.error.messageString', '"Too Many Requests"') ?? '');
        expect(asJson).toEqual({
          ActionStatus: 'FAIL',
          ErrorCode: 60007,
          ErrorInfo: expect.any(String),
          ErrorDisplay: '',
        });
      });
    });

    it('lets API Gateway invoke each function only for its own method', () => {
      // Act
      const sourceArns = ofType('AWS::Lambda::Permission').map(([, p]) =>
        JSON.stringify(p.Properties.SourceArn),
      );

      // Assess
      expect(sourceArns).toHaveLength(2);
      expect(sourceArns.some((arn) => arn.includes('/POST/v4/profile/portrait_get'))).toBe(true);
      expect(sourceArns.some((arn) => arn.includes('/POST/tencent-im/callback'))).toBe(true);
      expect(sourceArns.every((arn) => !arn.includes('/*/'))).toBe(true);
    });
  });

  it('keeps the cache in an on-demand table with TTL and point-in-time recovery', () => {
    // Assess
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  describe('queues', () => {
    it('dead-letter a request after the configured receive count', () => {
      // Assess
      template.hasResourceProperties('AWS::SQS::Queue', {
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [idOf(stack.deadLetterQueue.node.defaultChild), 'Arn'] },
          maxReceiveCount: MAX_RECEIVE_COUNT,
        },
      });
    });

    it('hide a request at least six times as long as the queue function may run', () => {
      // Act
      const visibility = resources[idOf(stack.requestQueue.node.defaultChild)]?.Properties.VisibilityTimeout;

      // Assess
      expect(visibility).toBeGreaterThanOrEqual(6 * (fnProps('queue').Timeout as number));
    });

    it('are encrypted at rest, refuse requests without TLS and take 1 MiB results', () => {
      // Act
      const queues = ofType('AWS::SQS::Queue');
      const policies = ofType('AWS::SQS::QueuePolicy').map(([, p]) => JSON.stringify(p.Properties));

      // Assess
      expect(queues).toHaveLength(3);
      for (const [id, queue] of queues) {
        expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, MaximumMessageSize: 1_048_576 });
        const policy = policies.find((p) => p.includes(`"${id}"`));
        expect(policy).toContain('"aws:SecureTransport":"false"');
        expect(policy).toContain('"Effect":"Deny"');
      }
    });

    it('feed the queue function partial batches, never more pollers than its instances', () => {
      // Act
      const mapping = propsWhere('AWS::Lambda::EventSourceMapping');

      // Assess
      expect(mapping).toMatchObject({
        FunctionName: { Ref: fnId('queue') },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      const { MaximumConcurrency } = mapping.ScalingConfig as { MaximumConcurrency: number };
      expect(MaximumConcurrency).toBeLessThanOrEqual(fnProps('queue').ReservedConcurrentExecutions as number);
    });

    it('hand the queue function batches of 100 messages, gathered for at least a second, to fill calls of 100', () => {
      // Act
      const mapping = propsWhere('AWS::Lambda::EventSourceMapping');

      // Assess
      expect(mapping.BatchSize).toBe(100);
      expect(mapping.BatchSize).toBe(
        queueBatchSize(CONTEXT.rateLimitPerSecond, CONTEXT.maxAccountsPerRequest),
      );
      expect(mapping.MaximumBatchingWindowInSeconds).toBeGreaterThanOrEqual(1);
    });

    it('hand it smaller batches under a ceiling too low to serve 100 of the largest messages in time', () => {
      // Prepare
      const context = { ...CONTEXT, rateLimitPerSecond: 100, maxAccountsPerRequest: 1000 };

      // Act
      const low = synthGatewayStack({ context, stackName: STACK_NAME, region: REGION }).template;

      // Assess
      const [mapping] = Object.values(low.findResources('AWS::Lambda::EventSourceMapping'));
      expect((mapping as { Properties: { BatchSize: number } }).Properties.BatchSize).toBe(88);
    });
  });

  describe('least privilege', () => {
    const statementsOf = (name: 'http' | 'queue' | 'callback'): Statement[] => {
      const roleId = idOf(stack.functions[name].role.node.defaultChild);
      return ofType('AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
        .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    };
    const actionsOf = (statement: Statement) => [statement.Action].flat();

    it('grants no wildcard action and no wildcard resource anywhere', () => {
      // Act
      const statements = [
        ...ofType('AWS::IAM::Policy').flatMap(
          ([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
        ),
        ...ofType('AWS::IAM::Role').flatMap(([, r]) =>
          ((r.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
            (p) => p.PolicyDocument.Statement,
          ),
        ),
      ];

      // Assess
      expect(statements.length).toBeGreaterThan(10);
      for (const statement of statements) {
        expect(actionsOf(statement).filter((action) => action.includes('*'))).toEqual([]);
        expect([statement.Resource].flat()).not.toContain('*');
      }
    });

    it('lets the functions read only the named secret, whatever its random suffix', () => {
      // Act
      const secretStatements = (['http', 'queue', 'callback'] as const).map((name) =>
        statementsOf(name).filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:'))),
      );

      // Assess
      for (const statements of secretStatements) {
        expect(statements).toHaveLength(1);
        expect(actionsOf(statements[0] as Statement)).toEqual(['secretsmanager:GetSecretValue']);
        expect(JSON.stringify(statements[0]?.Resource)).toMatch(/:secret:tim\/prod-app-\?\?\?\?\?\?"/);
      }
    });

    it('scopes every table, queue and log permission to one resource of this stack', () => {
      // Act
      const scoped = (['http', 'queue', 'callback'] as const).flatMap((name) =>
        statementsOf(name).filter((s) => !actionsOf(s).some((a) => a.startsWith('secretsmanager:'))),
      );

      // Assess
      for (const statement of scoped) {
        expect(statement.Resource).toMatchObject({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
      }
    });

    it('lets only the queue function publish results, and the callback neither batch nor scan', () => {
      // Act
      const actions = (name: 'http' | 'queue' | 'callback') => statementsOf(name).flatMap(actionsOf);

      // Assess
      expect(actions('queue')).toContain('sqs:SendMessage');
      expect(actions('http')).not.toContain('sqs:SendMessage');
      expect(actions('callback')).not.toContain('sqs:SendMessage');
      expect(actions('callback').filter((a) => /Batch|Scan|Query/.test(a))).toEqual([]);
    });

    it('lets Lambda poll the request queue with exactly what its poller needs, nothing the code does not use', () => {
      // Act
      const requestQueueId = idOf(stack.requestQueue.node.defaultChild);
      const onRequestQueue = statementsOf('queue').filter(
        (s) => JSON.stringify(s.Resource) === JSON.stringify({ 'Fn::GetAtt': [requestQueueId, 'Arn'] }),
      );

      // Assess
      expect(onRequestQueue.flatMap(actionsOf).sort()).toEqual([...REQUEST_QUEUE_ACTIONS].sort());
      expect(
        (['http', 'queue', 'callback'] as const)
          .flatMap((name) => statementsOf(name).flatMap(actionsOf))
          .filter((a) => a === 'sqs:ChangeMessageVisibility' || a === 'sqs:GetQueueUrl'),
      ).toEqual([]);
      expect(propsWhere('AWS::Lambda::EventSourceMapping').EventSourceArn).toEqual({
        'Fn::GetAtt': [requestQueueId, 'Arn'],
      });
    });

    it('gives the function roles no managed policy', () => {
      // Act
      const managed = (['http', 'queue', 'callback'] as const).map(
        (name) => resources[idOf(stack.functions[name].role.node.defaultChild)]?.Properties.ManagedPolicyArns,
      );

      // Assess
      expect(managed).toEqual([undefined, undefined, undefined]);
    });
  });

  describe('alarms', () => {
    const alarms = () => ofType('AWS::CloudWatch::Alarm').map(([, a]) => JSON.stringify(a.Properties));

    it.each([
      {
        what: 'the DLQ is not empty',
        needles: () => ['"ApproximateNumberOfMessagesVisible"', 'RequestDeadLetterQueue'],
      },
      { what: 'slot denials are a sustained share', needles: () => ['SlotDenied', 'UpstreamCalls'] },
      { what: 'upstream errors keep coming', needles: () => ['SUM(UpstreamErrors)'] },
      { what: 'the API answers 5xx', needles: () => ['"5XXError"'] },
      {
        what: 'the table fails the limiter, the cache or a webhook',
        needles: () => ['LimiterErrors', 'CacheErrors', 'CallbackCacheUpdateFailed'],
      },
      { what: 'Lambda throttles the HTTP function', needles: () => ['"Throttles"', fnId('http')] },
      { what: 'Lambda throttles the queue function', needles: () => ['"Throttles"', fnId('queue')] },
    ])('fire when $what', ({ needles }) => {
      // Act
      const matching = alarms().filter((alarm) => needles().every((needle) => alarm.includes(needle)));

      // Assess
      expect(matching).toHaveLength(1);
    });

    it('notify the configured topic', () => {
      // Assess
      for (const alarm of alarms()) expect(alarm).toContain(CONTEXT.alarmTopicArn);
    });
  });

  describe('names', () => {
    it('takes the dashboard name from the stack and its region (dashboards are global to the account)', () => {
      // Assess
      expect(propsWhere('AWS::CloudWatch::Dashboard').DashboardName).toBe(`${STACK_NAME}-${REGION}`);
    });

    it('names the REST API after the stack, and reads its AWS/ApiGateway metrics by that name', () => {
      // Act
      const apiMetrics = templateMetrics(template.toJSON()).references.filter(
        (r) => r.namespace === 'AWS/ApiGateway',
      );

      // Assess
      expect(propsWhere('AWS::ApiGateway::RestApi').Name).toBe(STACK_NAME);
      expect(apiMetrics.length).toBeGreaterThan(3);
      expect(apiMetrics.filter((r) => r.dimensions.ApiName !== STACK_NAME)).toEqual([]);
    });

    it('puts the stack name in every function as the service its logs and metrics carry', () => {
      // Act
      const services = (['http', 'queue', 'callback'] as const).map(
        (name) => (fnProps(name).Environment as { Variables: Record<string, unknown> }).Variables,
      );

      // Assess
      for (const variables of services) expect(variables.POWERTOOLS_SERVICE_NAME).toBe(STACK_NAME);
    });
  });

  it("creates API Gateway's execution log group before the stage, with the retention, deleted with the stack", () => {
    // Act
    const [logGroupId, logGroup] =
      ofType('AWS::Logs::LogGroup').find(([, g]) =>
        JSON.stringify(g.Properties.LogGroupName ?? '').includes('API-Gateway-Execution-Logs_'),
      ) ?? [];
    const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0] as {
      DependsOn: string[];
    };

    // Assess
    expect(logGroup?.Properties).toEqual({
      LogGroupName: {
        'Fn::Join': [
          '',
          ['API-Gateway-Execution-Logs_', { Ref: idOf(stack.api.api.node.defaultChild) }, `/${STAGE_NAME}`],
        ],
      },
      RetentionInDays: CONTEXT.logRetentionDays,
    });
    expect(template.toJSON().Resources[logGroupId ?? '']).toMatchObject({ DeletionPolicy: 'Delete' });
    expect(stage.DependsOn).toContain(logGroupId);
  });

  describe('metrics read by the dashboard and the alarms', () => {
    it("are each a metric the functions publish, read by its whole dimension set and this stack's service", () => {
      // Act
      const found = templateMetrics(template.toJSON());

      // Assess
      expect(found.references.filter((r) => r.namespace === METRICS_NAMESPACE).length).toBeGreaterThan(20);
      expect(catalogProblems(found, STACK_NAME)).toEqual([]);
    });

    it('include one series per ErrorCode and per function for the errors-by-code and cold-start graphs', () => {
      // Act
      const searched = templateMetrics(template.toJSON()).references.filter((r) =>
        Object.values(r.dimensions).includes('*'),
      );

      // Assess
      expect(searched).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            where: 'Upstream errors by code',
            metricName: 'UpstreamErrors',
            dimensions: { service: STACK_NAME, ErrorCode: '*' },
          }),
          expect.objectContaining({
            metricName: 'ColdStart',
            dimensions: { service: STACK_NAME, function_name: '*' },
          }),
          expect.objectContaining({
            where: expect.stringMatching(/UpstreamErrors/),
            metricName: 'UpstreamErrors',
            dimensions: { service: STACK_NAME, ErrorCode: '*' },
          }),
        ]),
      );
    });

    describe.each([
      {
        mistake: 'a SEARCH naming only the namespace (always empty: every metric has `service`)',
        expression: `SEARCH('{PortraitGateway} MetricName="UpstreamErrors"', 'Sum', 300)`,
        says: 'is read with dimensions {} but published with {ErrorCode,service}',
      },
      {
        mistake: 'a query without ErrorCode',
        expression: `SELECT SUM(UpstreamErrors) FROM SCHEMA("PortraitGateway", service) WHERE service = '${STACK_NAME}'`,
        says: 'is read with dimensions {service} but published with {ErrorCode,service}',
      },
      {
        mistake: "another stack's service",
        expression: `SEARCH('{PortraitGateway,service} MetricName="CacheHits" service="PortraitGateway"', 'Sum', 300)`,
        says: `is read for service=PortraitGateway, not ${STACK_NAME}`,
      },
      {
        mistake: 'a name the code never emits',
        expression: `SEARCH('{PortraitGateway,service} MetricName="CacheHit" service="${STACK_NAME}"', 'Sum', 300)`,
        says: 'CacheHit is not a metric the functions emit',
      },
      {
        mistake: 'a query over the whole namespace',
        expression: `SELECT SUM(UpstreamErrors) FROM "PortraitGateway"`,
        says: 'expression not understood',
      },
    ])('the check, given $mistake', ({ expression, says }) => {
      it('reports it', () => {
        // Prepare
        const references = expressionMetrics('graph', expression);
        const found = {
          references: references ?? [],
          unrecognised: references ? [] : [{ where: 'graph', expression }],
        };

        // Act
        const problems = catalogProblems(found, STACK_NAME);

        // Assess
        expect(problems).toEqual(expect.arrayContaining([expect.stringContaining(says)]));
      });
    });
  });

  it('draws the dashboard: hit ratio, calls/s against the ceiling, latency, slot wait, errors by code', () => {
    // Act
    const body = JSON.stringify(propsWhere('AWS::CloudWatch::Dashboard').DashboardBody);

    // Assess
    for (const needle of [
      '100 * hits / (hits + misses)',
      'calls / PERIOD(calls)',
      `\\"value\\":${CONTEXT.rateLimitPerSecond}`,
      '\\"stat\\":\\"p50\\"',
      '\\"stat\\":\\"p99\\"',
      'SlotWaitMs',
      'MetricName=\\\\\\"UpstreamErrors\\\\\\"',
    ]) {
      expect(body).toContain(needle);
    }
    expect(GATEWAY_METRIC_NAMES.filter((name) => !body.includes(name))).toEqual([]);
  });
});
