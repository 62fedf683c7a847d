import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, Names, Stack, type StackProps, Token, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../shared/metric-catalog.ts';
import { SQS_MAX_MESSAGE_BYTES } from '../shared/queue/sqs-message-size.ts';
import { PARTITION_KEY, TTL_ATTRIBUTE } from '../shared/table-definition.ts';
import { FUNCTION_MEMORY_MB, FUNCTION_TIMEOUT_SECONDS } from './api-routes.ts';
import { GatewayApi } from './constructs/gateway-api.ts';
import { GatewayFunction } from './constructs/gateway-function.ts';
import { Observability } from './constructs/observability.ts';
import { queueBatchSize } from './queue-batch.ts';
import { readStackConfig, type StackConfig } from './stack-config.ts';

/** The repository root: esbuild bundles from here with its package-lock.json. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The handler modules, one per Lambda entry point; each exports `handler`. */
export interface HandlerEntries {
  http: string;
  queue: string;
  callback: string;
}

/** functions/http.ts, functions/queue.ts and functions/callback.ts of this repository. */
export const DEFAULT_ENTRIES: HandlerEntries = {
  http: `${PROJECT_ROOT}functions/http.ts`,
  queue: `${PROJECT_ROOT}functions/queue.ts`,
  callback: `${PROJECT_ROOT}functions/callback.ts`,
};

export interface PortraitGatewayStackProps extends StackProps {
  /** Default: {@link DEFAULT_ENTRIES}. */
  entries?: HandlerEntries;
  /**
   * Bundle AWS SDK v3 into each function instead of using the runtime's copy. Default: true: the
   * functions then run the SDK versions the tests ran, for +380 KiB per bundle and no slower a cold
   * import (docs/operations.md, "Why these numbers", has the measurements).
   */
  bundleAwsSdk?: boolean;
}

/** Function timeouts, reasoned in `api-routes.ts`. */
export const FUNCTION_TIMEOUTS = {
  http: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.http),
  queue: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.queue),
  callback: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.callback),
} as const;

/** SQS delivers a message this often before it moves to the DLQ (each retry waits a visibility timeout). */
export const MAX_RECEIVE_COUNT = 5;

/** AWS's guidance: a queue's visibility timeout is at least six times its consumer's timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/**
 * How long SQS gathers messages for one queue invocation (a batch above 10 needs a window); how
 * many it gathers is `queueBatchSize` (`queue-batch.ts`): up to 100, fewer when a full batch
 * could not be served in the function's time at the configured ceiling. The request queue hides a
 * batch six times as long as the function runs (VISIBILITY_TIMEOUT_FACTOR), and the pollers never
 * outnumber the reserved instances (`maxConcurrency`).
 */
export const QUEUE_BATCH_WINDOW = Duration.seconds(1);

/**
 * The item operations the functions' code sends (shared/cache, shared/ratelimit): no scans, queries,
 * deletes or table-level calls. The limiter reads its schedule item (`GetItem`) when a refused write
 * comes back without it. A webhook only updates the profile items it changes.
 */
export const TABLE_ACTIONS = {
  cacheAndLimiter: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
  callback: ['dynamodb:UpdateItem'],
} as const;

/**
 * What Lambda's SQS poller needs of the request queue, on the queue function's role (AWS's
 * AWSLambdaSQSQueueExecutionRole holds the same three). The function's code never touches that
 * queue: no ChangeMessageVisibility (a message left for a retry waits out its visibility timeout),
 * no GetQueueUrl.
 */
export const REQUEST_QUEUE_ACTIONS = [
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
] as const;

/**
 * The whole gateway: table, queues, the three functions, the REST API, alarms and dashboard.
 * Configuration comes from CDK context ({@link readStackConfig}).
 *
 * Reserved concurrency caps instances, not calls per second; the ceiling itself is the limiter's
 * job. It is sized from the ceiling L = 200 calls/s and the upstream latency d (about 0.1 s near the
 * data center, 0.3 s across continents): L × d ≈ 20–60 calls in flight use the whole ceiling, and
 * instances beyond that would only wait for slots. HTTP 50: enough for the ceiling plus the
 * requests answered from the cache (a warm hit holds an instance ~30 ms). Queue 10: each
 * invocation coalesces a batch into a few calls, so 10 instances take roughly a sixth of the ceiling
 * and leave the rest to HTTP callers. Callback 5: a webhook is one DynamoDB write (~20 ms), so five
 * instances absorb ~250 callbacks/s.
 *
 * The stage throttle keeps API traffic below what 50 instances absorb: 100 requests/s at up to
 * ~0.5 s each is 50 busy instances, and a burst is never larger than the instance count. Lambda
 * throttles that still happen reach the caller as 429 (see GatewayApi).
 */
export class PortraitGatewayStack extends Stack {
  readonly config: StackConfig;
  readonly table: Table;
  readonly requestQueue: Queue;
  readonly deadLetterQueue: Queue;
  readonly resultsQueue: Queue;
  readonly functions: { http: GatewayFunction; queue: GatewayFunction; callback: GatewayFunction };
  readonly api: GatewayApi;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: PortraitGatewayStackProps = {}) {
    super(scope, id, props);
    const config = readStackConfig(this.node, Token.isUnresolved(this.region) ? undefined : this.region);
    this.config = config;
    const entries = props.entries ?? DEFAULT_ENTRIES;
    const logRetention = config.logRetentionDays as RetentionDays;
    // Two stacks in one account and region keep their metrics, alarms and logs apart by name.
    const serviceName = this.stackName;

    this.table = new Table(this, 'Table', {
      partitionKey: { name: PARTITION_KEY, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });

    // SQS's largest message (1 MiB): a result for 1000 accounts with a few tags passes 256 KiB, and a
    // DLQ must take whatever its source queue took.
    const queueDefaults = {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      maxMessageSizeBytes: SQS_MAX_MESSAGE_BYTES,
    } as const;
    this.deadLetterQueue = new Queue(this, 'RequestDeadLetterQueue', {
      ...queueDefaults,
      retentionPeriod: Duration.days(14),
    });
    this.requestQueue = new Queue(this, 'RequestQueue', {
      ...queueDefaults,
      visibilityTimeout: Duration.seconds(FUNCTION_TIMEOUTS.queue.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    this.resultsQueue = new Queue(this, 'ResultsQueue', {
      ...queueDefaults,
      retentionPeriod: Duration.days(4),
    });
    Validations.of(this.resultsQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "The results queue is read by the callers' own consumers; what they do with a result they cannot " +
        'process is theirs to decide, and a message nobody reads expires after its retention.',
    });

    const secret = Secret.fromSecretNameV2(this, 'TencentSecret', config.secretName);
    const environment: Record<string, string> = {
      POWERTOOLS_SERVICE_NAME: serviceName,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      TIM_SECRET_ID: config.secretName,
      ...('region' in config.upstream
        ? { TIM_REGION: config.upstream.region }
        : { TIM_BASE_URL: config.upstream.baseUrl }),
      TABLE_NAME: this.table.tableName,
      RATE_LIMIT_PER_SECOND: String(config.rateLimitPerSecond),
      RATE_MARGIN_MS: String(config.rateMarginMs),
      CACHE_TTL_SECONDS: String(config.cacheTtlSeconds),
      NEGATIVE_CACHE_TTL_SECONDS: String(config.negativeCacheTtlSeconds),
      STALE_IF_ERROR_SECONDS: String(config.staleIfErrorSeconds),
      EARLY_REFRESH_MS: String(config.earlyRefreshMs),
      MAX_ACCOUNTS_PER_REQUEST: String(config.maxAccountsPerRequest),
    };
    const common = { projectRoot: PROJECT_ROOT, logRetention, bundleAwsSdk: props.bundleAwsSdk ?? true };
    this.functions = {
      http: new GatewayFunction(this, 'Http', {
        ...common,
        entry: entries.http,
        description: 'portrait-gateway HTTP: POST /v4/profile/portrait_get',
        timeout: FUNCTION_TIMEOUTS.http,
        memorySize: FUNCTION_MEMORY_MB.http,
        reservedConcurrency: config.httpReservedConcurrency,
        environment,
      }),
      queue: new GatewayFunction(this, 'Queue', {
        ...common,
        entry: entries.queue,
        description: 'portrait-gateway queue: request queue to results queue',
        timeout: FUNCTION_TIMEOUTS.queue,
        memorySize: FUNCTION_MEMORY_MB.queue,
        reservedConcurrency: config.queueReservedConcurrency,
        environment: { ...environment, RESULTS_QUEUE_URL: this.resultsQueue.queueUrl },
      }),
      callback: new GatewayFunction(this, 'Callback', {
        ...common,
        entry: entries.callback,
        description: 'portrait-gateway callback: Tencent Chat webhooks',
        timeout: FUNCTION_TIMEOUTS.callback,
        memorySize: FUNCTION_MEMORY_MB.callback,
        reservedConcurrency: config.callbackReservedConcurrency,
        environment,
      }),
    };

    // A secret imported by name has no suffix in its ARN; the real one ends in -XXXXXX.
    const secretStatement = new PolicyStatement({
      actions: ['secretsmanager:GetSecretValue'],
      resources: [`${secret.secretArn}-??????`],
    });
    for (const fn of Object.values(this.functions)) fn.role.addToPrincipalPolicy(secretStatement);
    for (const fn of [this.functions.http, this.functions.queue]) {
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: [...TABLE_ACTIONS.cacheAndLimiter],
          resources: [this.table.tableArn],
        }),
      );
    }
    this.functions.callback.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...TABLE_ACTIONS.callback], resources: [this.table.tableArn] }),
    );
    // SendMessageBatch is authorized as sqs:SendMessage; the URL comes from the environment.
    this.functions.queue.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.resultsQueue.queueArn] }),
    );
    // The mapping without SqsEventSource, whose grant adds actions nothing uses; its id is the one
    // SqsEventSource gives, so a deployed stack keeps its mapping.
    this.functions.queue.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...REQUEST_QUEUE_ACTIONS], resources: [this.requestQueue.queueArn] }),
    );
    this.functions.queue.function.addEventSourceMapping(
      `SqsEventSource:${Names.nodeUniqueId(this.requestQueue.node)}`,
      {
        eventSourceArn: this.requestQueue.queueArn,
        // Coalescing is the queue path's economy: up to 100 messages, waiting up to a second for them,
        // so that 100 messages of one account each cost one call of 100.
        batchSize: queueBatchSize(config.rateLimitPerSecond, config.maxAccountsPerRequest),
        maxBatchingWindow: QUEUE_BATCH_WINDOW,
        reportBatchItemFailures: true,
        // Pollers beyond the reserved concurrency would be throttled, burning receive counts.
        maxConcurrency: config.queueReservedConcurrency,
      },
    );

    this.api = new GatewayApi(this, 'Api', {
      name: this.stackName,
      portraitGetFunction: this.functions.http.function,
      callbackFunction: this.functions.callback.function,
      throttleRate: config.apiThrottleRate,
      throttleBurst: config.apiThrottleBurst,
      callbackThrottleRate: config.callbackThrottleRate,
      callbackThrottleBurst: config.callbackThrottleBurst,
      logRetention,
    });

    this.observability = new Observability(this, 'Observability', {
      api: this.api.api,
      functions: {
        http: this.functions.http.function,
        queue: this.functions.queue.function,
        callback: this.functions.callback.function,
      },
      requestQueue: this.requestQueue,
      deadLetterQueue: this.deadLetterQueue,
      resultsQueue: this.resultsQueue,
      serviceName,
      rateLimitPerSecond: config.rateLimitPerSecond,
      ...(config.alarmTopicArn && { alarmTopicArn: config.alarmTopicArn }),
    });

    this.outputs();
  }

  private outputs(): void {
    const api = this.api.api;
    new CfnOutput(this, 'ApiUrl', { value: api.url, description: 'Base URL of the stage' });
    new CfnOutput(this, 'PortraitGetUrl', { value: api.urlForPath('/v4/profile/portrait_get') });
    new CfnOutput(this, 'CallbackUrl', {
      value: api.urlForPath('/tencent-im/callback'),
      description: 'Set this as the callback URL in the Tencent Chat console (with token authentication on)',
    });
    new CfnOutput(this, 'RequestQueueUrl', { value: this.requestQueue.queueUrl });
    new CfnOutput(this, 'ResultsQueueUrl', { value: this.resultsQueue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards/dashboard/${this.observability.dashboard.dashboardName}`,
    });
  }
}
