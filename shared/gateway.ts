import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type AwsEndpointSettings, awsClientOptions, isLoopbackEndpoint } from './aws-client-settings.ts';
import { DynamoProfileCache } from './cache/profile-cache.ts';
import { type GatewayConfig, parseConfig } from './config.ts';
import { createDynamoDbClients, type DynamoDbClients } from './dynamodb-client.ts';
import { ConfigError } from './errors.ts';
import { METRIC } from './metric-catalog.ts';
import { PortraitService } from './portrait/portrait-service.ts';
import type { CredentialsProvider } from './portrait/ports.ts';
import { ResultsPublisher } from './queue/results-publisher.ts';
import { DynamoRateLimiter } from './ratelimit/dynamo-rate-limiter.ts';
import { SecretsManagerCredentials } from './secrets/secrets-manager-credentials.ts';
import { staticCredentials } from './secrets/static-credentials.ts';
import { createLogger, createMetrics } from './telemetry.ts';
import { REGION_NAMES, upstreamOrigins } from './tencent/regions.ts';
import { TencentClient } from './upstream/tencent-client.ts';
import { UserSigSigner } from './upstream/usersig-signer.ts';
import { variableProblem } from './variable-problem.ts';

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

/**
 * What the webhook function needs: the credentials (for the callback token), the profile cache,
 * logs and metrics. Each function builds only its own graph, once per process (docs/architecture.md,
 * "Layers"), so its bundle holds only what it uses: handlers only decode, call and encode.
 */
export interface CallbackGateway {
  readonly config: GatewayConfig;
  readonly credentials: CredentialsProvider;
  readonly cache: DynamoProfileCache;
  readonly dynamodb: DynamoDbClients;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Closes the AWS clients' sockets (local server shutdown, tests). */
  close(): void;
}

/** The HTTP function's graph: the webhook's parts, and the service with its limiter and Tencent client. */
export interface Gateway extends CallbackGateway {
  readonly service: PortraitService;
  readonly limiter: DynamoRateLimiter;
  readonly signer: UserSigSigner;
}

/** The queue consumer's graph: the HTTP function's, and the results queue. */
export interface QueueGateway extends Gateway {
  /** The results queue; absent when `RESULTS_QUEUE_URL` is not set. */
  readonly results: ResultsPublisher | undefined;
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
        variableProblem(
          'TIM_SECRET_ID',
          undefined,
          "set it to the secret's name, or set TIM_SDKAPPID, TIM_ADMIN_IDENTIFIER and TIM_SECRET_KEY",
        ),
      );
  }
}

function origins(config: GatewayConfig): string[] {
  try {
    return upstreamOrigins(config);
  } catch (error) {
    if (config.baseUrl !== undefined) throw new ConfigError((error as Error).message, { cause: error });
    throw new ConfigError(
      variableProblem(
        'TIM_REGION',
        config.region,
        `set it to the app's data center (${REGION_NAMES.join(', ')}), or set TIM_BASE_URL`,
      ),
      { cause: error },
    );
  }
}

/**
 * The webhook function's graph, which every other function's starts with: telemetry, credentials,
 * DynamoDB clients and the profile cache. Throws {@link ConfigError} when no credentials are configured.
 */
export function createCallbackGateway(
  config: GatewayConfig,
  overrides: GatewayOverrides = {},
): CallbackGateway {
  const logger = overrides.logger ?? createLogger(config.serviceName);
  const metrics = overrides.metrics ?? createMetrics(config.serviceName);
  const { provider: credentials, close: closeCredentials } = credentialsProvider(config, overrides);
  const dynamodb = createDynamoDbClients({ ...overrides.aws, endpoint: config.dynamodbEndpoint });
  const cache = new DynamoProfileCache({
    client: dynamodb.documentClient,
    tableName: config.tableName,
    cacheTtlSeconds: config.cacheTtlSeconds,
    negativeCacheTtlSeconds: config.negativeCacheTtlSeconds,
    staleIfErrorSeconds: config.staleIfErrorSeconds,
    onError: (operation, error) => {
      logger.warn(`cache ${operation} failed`, { error });
      metrics.addMetric(METRIC.CacheErrors, MetricUnit.Count, 1);
    },
  });
  return {
    config,
    credentials,
    cache,
    dynamodb,
    logger,
    metrics,
    close: () => {
      closeCredentials();
      dynamodb.client.destroy();
    },
  };
}

/**
 * Builds the HTTP function's graph from a parsed configuration: DynamoDB clients, profile cache,
 * rate limiter, credentials (static or Secrets Manager), UserSig signer, Tencent client,
 * PortraitService, and the Powertools logger and metrics (service `config.serviceName`, namespace
 * `PortraitGateway`). Throws {@link ConfigError} when no credentials or no Tencent data center are
 * configured. Failures the cache and limiter swallow are logged and counted.
 */
export function createGateway(config: GatewayConfig, overrides: GatewayOverrides = {}): Gateway {
  const parts = createCallbackGateway(config, overrides);
  const { credentials, cache, dynamodb, logger, metrics } = parts;
  const signer = new UserSigSigner(credentials);
  const client = new TencentClient({ signer, origins: origins(config) });
  const limiter = new DynamoRateLimiter({
    client: dynamodb.documentClient,
    tableName: config.tableName,
    ceilingPerSecond: config.rateLimitPerSecond,
    marginMs: config.rateMarginMs,
    onError: (error) => {
      logger.warn('rate limiter failed closed', { error });
      metrics.addMetric(METRIC.LimiterErrors, MetricUnit.Count, 1);
    },
  });
  return {
    ...parts,
    service: new PortraitService({ client, cache, limiter, earlyRefreshMs: config.earlyRefreshMs }),
    limiter,
    signer,
    close: () => {
      limiter.close();
      parts.close();
    },
  };
}

/**
 * The queue consumer's graph: {@link createGateway}'s, and the results queue publisher when
 * `RESULTS_QUEUE_URL` is set (its SQS client goes to the queue URL's host unless an endpoint is given;
 * a queue on this machine needs no AWS account).
 */
export function createQueueGateway(config: GatewayConfig, overrides: GatewayOverrides = {}): QueueGateway {
  const gateway = createGateway(config, overrides);
  if (config.resultsQueueUrl === undefined) return { ...gateway, results: undefined };
  const sqs = new SQSClient(
    awsClientOptions({
      ...overrides.aws,
      endpoint: overrides.sqsEndpoint ?? loopbackOrigin(config.resultsQueueUrl),
    }),
  );
  return {
    ...gateway,
    results: new ResultsPublisher(sqs, config.resultsQueueUrl),
    close: () => {
      gateway.close();
      sqs.destroy();
    },
  };
}

/** A URL's origin when it is on this machine (a local SQS): its client then needs no AWS account. */
const loopbackOrigin = (url: string): string | undefined =>
  isLoopbackEndpoint(url) ? new URL(url).origin : undefined;

/** Each function's gateway, built from `process.env` on first use: at its handler module's load, the cold start. */
const defaults = new Map<(config: GatewayConfig) => CallbackGateway, CallbackGateway>();

function builtOnce<T extends CallbackGateway>(create: (config: GatewayConfig) => T): T {
  let gateway = defaults.get(create);
  if (gateway === undefined) {
    gateway = create(parseConfig(process.env));
    defaults.set(create, gateway);
  }
  return gateway as T;
}

/** The HTTP function's gateway. */
export function defaultGateway(): Gateway {
  return builtOnce(createGateway);
}

/** The queue consumer's gateway. */
export function defaultQueueGateway(): QueueGateway {
  return builtOnce(createQueueGateway);
}

/** The webhook function's gateway. */
export function defaultCallbackGateway(): CallbackGateway {
  return builtOnce(createCallbackGateway);
}
