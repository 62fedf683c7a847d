import { Duration } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../shared/telemetry.ts';

/** The metrics the functions emit, by the names they use. */
export const GATEWAY_METRIC_NAMES = [
  'CacheHits',
  'CacheMisses',
  'UpstreamCalls',
  'UpstreamErrors',
  'SlotWaitMs',
  'SlotDenied',
  'ColdStart',
  'CallbackRejected',
  'CallbackIgnored',
  'CallbackCacheUpdateFailed',
  'ProfileChangesApplied',
  'ProfileChangesDropped',
  'RequestOverLimit',
  'CacheErrors',
  'LimiterErrors',
  'ClientErrors',
  'ServerErrors',
  'MessagesDone',
  'MessagesRetried',
] as const;

export type GatewayMetricName = (typeof GATEWAY_METRIC_NAMES)[number];

/** One of the functions' metrics under the `service` dimension; default: Sum over 5 minutes. */
export function gatewayMetric(
  metricName: GatewayMetricName,
  options: { statistic?: string; period?: Duration; label?: string } = {},
): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME },
    statistic: options.statistic ?? 'Sum',
    period: options.period ?? Duration.minutes(5),
    ...(options.label && { label: options.label }),
  });
}

/**
 * A metric summed over every dimension set it is published with, e.g. UpstreamErrors with and
 * without an `ErrorCode` dimension (a Metrics Insights query, which alarms accept).
 */
export function acrossDimensionsQuery(metricName: GatewayMetricName): string {
  return `SELECT SUM(${metricName}) FROM "${METRICS_NAMESPACE}" WHERE service = '${SERVICE_NAME}'`;
}
