import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type AwsEndpointSettings, awsClientOptions } from './aws-client-settings.ts';
import { DynamoProfileCache } from './cache/profile-cache.ts';
import { type GatewayConfig, parseConfig } from './config.ts';
import { createDynamoDbClients, type DynamoDbClients } from './dynamodb-client.ts';
import { ConfigError } from './errors.ts';
import { PortraitService } from './portrait/portrait-service.ts';
import type { CredentialsProvider } from './portrait/ports.ts';
import { ResultsPublisher } from './queue/results-publisher.ts';
import { DynamoRateLimiter } from './ratelimit/dynamo-rate-limiter.ts';
import { SecretsManagerCredentials } from './secrets/secrets-manager-credentials.ts';
import { staticCredentials } from './secrets/static-credentials.ts';
import { createLogger, createMetrics } from './telemetry.ts';
import { upstreamOrigins } from './tencent/regions.ts';
import { TencentClient } from './upstream/tencent-client.ts';
import { UserSigSigner } from './upstream/usersig-signer.ts';

/** What a local run or a test replaces; in Lambda nothing is. */
export interface GatewayOverrides {
  /** Region and credentials of every AWS client (tests: loopback credentials). */
  aws?: Omit<AwsEndpointSettings, 'endpoint'>;
  /** A Secrets Manager endpoint, e.g. a loopback one. (DynamoDB's comes from the config.) */
  secretsManagerEndpoint?: string;
  /** An SQS endpoint; by default the SDK sends to the results queue URL's own host. */
  sqsEndpoint?: string;
  logger?: Logger;
  metrics?: Metrics;
}

/** The object graph of one process, built once (DESIGN.md §3): handlers only decode, call and encode. */
export interface Gateway {
  readonly config: GatewayConfig;
  readonly service: PortraitService;
  readonly cache: DynamoProfileCache;
  readonly limiter: DynamoRateLimiter;
  readonly credentials: CredentialsProvider;
  readonly signer: UserSigSigner;
  readonly dynamodb: DynamoDbClients;
  /** The results queue of the SQS consumer; absent when `RESULTS_QUEUE_URL` is not set. */
  readonly results: ResultsPublisher | undefined;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Closes the AWS clients' sockets (local server shutdown, tests). */
  close(): void;
}

function credentialsProvider(
  config: GatewayConfig,
  overrides: GatewayOverrides,
): { provider: CredentialsProvider; close: () => void } {
  const source = config.credentials;
  switch (source.kind) {
    case 'static': {
      const { kind: _kind, ...credentials } = source;
      return { provider: staticCredentials(credentials), close: () => {} };
    }
    case 'secrets-manager': {
      const client = new SecretsManagerClient(
        awsClientOptions({ ...overrides.aws, endpoint: overrides.secretsManagerEndpoint }),
      );
      return {
        provider: new SecretsManagerCredentials({ secretId: source.secretId, client }),
        close: () => client.destroy(),
      };
    }
    case 'none':
      throw new ConfigError(
        'no Tencent credentials: set TIM_SECRET_ID, or TIM_SDKAPPID, TIM_ADMIN_IDENTIFIER and TIM_SECRET_KEY',
      );
  }
}

function origins(config: GatewayConfig): string[] {
  try {
    return upstreamOrigins(config);
  } catch (error) {
    throw new ConfigError((error as Error).message, { cause: error });
  }
}

/**
 * Builds the gateway from a parsed configuration: DynamoDB clients, profile cache, rate limiter,
 * credentials (static or Secrets Manager), UserSig signer, Tencent client, PortraitService, the
 * results queue publisher, and the Powertools logger and metrics (service `portrait-gateway`,
 * namespace `PortraitGateway`). Throws {@link ConfigError} when no credentials or no Tencent data
 * center are configured. Failures the cache and limiter swallow are logged and counted.
 */
export function createGateway(config: GatewayConfig, overrides: GatewayOverrides = {}): Gateway {
  const logger = overrides.logger ?? createLogger();
  const metrics = overrides.metrics ?? createMetrics();
  const { provider: credentials, close: closeCredentials } = credentialsProvider(config, overrides);
  const signer = new UserSigSigner(credentials);
  const client = new TencentClient({ signer, origins: origins(config) });
  const dynamodb = createDynamoDbClients({ ...overrides.aws, endpoint: config.dynamodbEndpoint });
  const cache = new DynamoProfileCache({
    client: dynamodb.documentClient,
    tableName: config.tableName,
    cacheTtlSeconds: config.cacheTtlSeconds,
    negativeCacheTtlSeconds: config.negativeCacheTtlSeconds,
    onError: (operation, error) => {
      logger.warn(`cache ${operation} failed`, { error });
      metrics.addMetric('CacheErrors', MetricUnit.Count, 1);
    },
  });
  const limiter = new DynamoRateLimiter({
    client: dynamodb.documentClient,
    tableName: config.tableName,
    ceilingPerSecond: config.rateLimitPerSecond,
    marginMs: config.rateMarginMs,
    onError: (error) => {
      logger.warn('rate limiter failed closed', { error });
      metrics.addMetric('LimiterErrors', MetricUnit.Count, 1);
    },
  });
  const sqs =
    config.resultsQueueUrl === undefined
      ? undefined
      : new SQSClient(awsClientOptions({ ...overrides.aws, endpoint: overrides.sqsEndpoint }));
  return {
    config,
    service: new PortraitService({ client, cache, limiter }),
    cache,
    limiter,
    credentials,
    signer,
    dynamodb,
    results: sqs && config.resultsQueueUrl ? new ResultsPublisher(sqs, config.resultsQueueUrl) : undefined,
    logger,
    metrics,
    close: () => {
      closeCredentials();
      sqs?.destroy();
      dynamodb.client.destroy();
    },
  };
}

let defaultInstance: Gateway | undefined;

/** The process's gateway from `process.env`, built on first use (at a handler module's load: the cold start). */
export function defaultGateway(): Gateway {
  defaultInstance ??= createGateway(parseConfig(process.env));
  return defaultInstance;
}
