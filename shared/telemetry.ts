import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DEFAULTS } from './config.ts';
import { METRIC, METRIC_DIMENSIONS, METRICS_NAMESPACE } from './metric-catalog.ts';
import type { ServeStats } from './portrait/portrait-result.ts';

/** Keys whose values never reach a log line, whatever object carries them. */
const SECRET_KEYS = /^(secretkey|usersig|callbacktoken|sign|authorization|x-amz-security-token)$/i;

/** A UserSig in a URL's query (`usersig=…`), as an HTTP or SDK error may quote the URL. */
const USERSIG_IN_TEXT = /(usersig=)[^&\s"']+/gi;

const REDACTED = '[redacted]';

/**
 * The Logger's JSON replacer: a last line of defence that blanks secret-named keys and UserSigs
 * quoted in text (error messages, stacks, URLs), should any code path ever hand one to the logger.
 */
export function redactSecrets(key: string, value: unknown): unknown {
  if (SECRET_KEYS.test(key)) return REDACTED;
  return typeof value === 'string' ? value.replace(USERSIG_IN_TEXT, `$1${REDACTED}`) : value;
}

/**
 * Resolves `a.b.c` in an event: enough for the correlation id paths the gateway uses, without the
 * JMESPath package Powertools would otherwise need.
 */
export function dottedPath(expression: string, data: unknown): unknown {
  let value: unknown = data;
  for (const key of expression.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * The gateway's structured JSON logger (level from `POWERTOOLS_LOG_LEVEL`, default INFO); `service`
 * names the deployment (the stack's name in AWS).
 */
export function createLogger(serviceName: string = DEFAULTS.serviceName): Logger {
  return new Logger({
    serviceName,
    jsonReplacerFn: redactSecrets,
    correlationIdSearchFn: dottedPath,
  });
}

/**
 * The gateway's CloudWatch metrics, written as EMF lines to stdout (no API calls, no extra latency),
 * each with the `service` dimension set to `serviceName` (shared/metric-catalog.ts).
 */
export function createMetrics(serviceName: string = DEFAULTS.serviceName): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
}

/**
 * Adds the numbers of one served request to the invocation's metrics: CacheHits, CacheMisses,
 * UpstreamCalls, SlotWaitMs, SlotDenied, StaleServed, EarlyRefreshes, CacheWritesDropped, and
 * UpstreamErrors with an `ErrorCode` dimension per code.
 */
export function recordServeStats(metrics: Metrics, stats: ServeStats): void {
  metrics.addMetric(METRIC.CacheHits, MetricUnit.Count, stats.cacheHits);
  metrics.addMetric(METRIC.CacheMisses, MetricUnit.Count, stats.cacheMisses);
  metrics.addMetric(METRIC.UpstreamCalls, MetricUnit.Count, stats.upstreamCalls);
  metrics.addMetric(METRIC.SlotWaitMs, MetricUnit.Milliseconds, stats.slotWaitMs);
  metrics.addMetric(METRIC.SlotDenied, MetricUnit.Count, stats.slotDenied);
  metrics.addMetric(METRIC.StaleServed, MetricUnit.Count, stats.staleServed);
  metrics.addMetric(METRIC.EarlyRefreshes, MetricUnit.Count, stats.earlyRefreshes);
  metrics.addMetric(METRIC.CacheWritesDropped, MetricUnit.Count, stats.cacheWritesDropped);
  for (const [code, count] of Object.entries(stats.upstreamErrors)) {
    const single = metrics.singleMetric();
    single.addDimension(METRIC_DIMENSIONS.errorCode, code);
    single.addMetric(METRIC.UpstreamErrors, MetricUnit.Count, count);
  }
}
