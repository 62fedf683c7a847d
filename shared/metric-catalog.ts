/**
 * The metrics the functions emit, in one place: the namespace, every metric's name and the
 * dimensions it is published with. The emitting code names its metrics from here (`METRIC.CacheHits`),
 * and the stack's dashboard and alarms (infra/constructs/gateway-metrics.ts) build every graph and
 * alarm from here; the template tests check each one against this catalog (docs/operations.md,
 * "Metrics").
 */
export const METRICS_NAMESPACE = 'PortraitGateway';

/** Powertools puts `service` (the configured service name) on every metric it writes. */
export const SERVICE_DIMENSION = 'service';

/** The dimensions a few metrics carry besides `service`. */
export const METRIC_DIMENSIONS = {
  /** UpstreamErrors: the ErrorCode of a failed attempt (a transport failure counts as 60008). */
  errorCode: 'ErrorCode',
  /** ColdStart: Powertools adds the Lambda function's name. */
  functionName: 'function_name',
} as const;

/** Each metric and the dimensions it carries besides `service`. Adding a metric is one line. */
const CATALOG = {
  CacheHits: [],
  CacheMisses: [],
  CacheErrors: [],
  StaleServed: [],
  EarlyRefreshes: [],
  CacheWritesDropped: [],
  UpstreamCalls: [],
  UpstreamErrors: [METRIC_DIMENSIONS.errorCode],
  SlotWaitMs: [],
  SlotDenied: [],
  LimiterErrors: [],
  ClientErrors: [],
  ServerErrors: [],
  MessagesDone: [],
  MessagesRetried: [],
  CallbackRejected: [],
  CallbackIgnored: [],
  CallbackCacheUpdateFailed: [],
  ProfileChangesApplied: [],
  ProfileChangesDropped: [],
  ProfileChangesIgnored: [],
  RequestOverLimit: [],
  ColdStart: [METRIC_DIMENSIONS.functionName],
} as const satisfies Record<string, readonly string[]>;

export type GatewayMetricName = keyof typeof CATALOG;

/** Every metric name of the catalog. */
export const GATEWAY_METRIC_NAMES = Object.keys(CATALOG) as GatewayMetricName[];

/** The names as constants: `metrics.addMetric(METRIC.CacheHits, …)` names only a catalogued metric. */
export const METRIC = Object.fromEntries(GATEWAY_METRIC_NAMES.map((name) => [name, name])) as {
  readonly [Name in GatewayMetricName]: Name;
};

/** The whole dimension set a metric is published with, `service` first. */
export function dimensionsOf(name: GatewayMetricName): readonly string[] {
  return [SERVICE_DIMENSION, ...CATALOG[name]];
}
