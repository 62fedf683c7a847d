import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  dimensionsOf,
  type GatewayMetricName,
  METRIC,
  METRICS_NAMESPACE,
} from '../../shared/metric-catalog.ts';
import { createMetrics, recordServeStats } from '../../shared/telemetry.ts';
import { CapturedOutput } from '../support/captured-output.ts';

const SERVICE = 'PortraitGatewayStaging';

interface EmfDirective {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string }[];
}

/** Each metric written as EMF, with the dimension set and the `service` it was published under. */
function published(output: CapturedOutput) {
  return output.records.flatMap((record) => {
    const directives = (record._aws as { CloudWatchMetrics?: EmfDirective[] } | undefined)?.CloudWatchMetrics;
    return (directives ?? []).flatMap((directive) =>
      directive.Metrics.flatMap(({ Name }) =>
        directive.Dimensions.map((set) => ({
          name: Name,
          namespace: directive.Namespace,
          dimensions: [...set].sort(),
          service: record.service,
        })),
      ),
    );
  });
}

describe('the metric catalog against what the code publishes', () => {
  const output = new CapturedOutput();

  beforeEach(() => {
    output.start();
  });

  afterEach(() => {
    output.stop();
    output.clear();
    vi.unstubAllEnvs();
  });

  it('gives every metric a served request, a failed attempt, a counter and a cold start publish its exact dimension set', () => {
    // Prepare
    // Lambda sets this for on-demand instances; Powertools counts no cold start without it.
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    const metrics = createMetrics(SERVICE);
    const stats = {
      accounts: 2,
      cacheHits: 1,
      cacheMisses: 1,
      upstreamCalls: 2,
      upstreamErrors: { 70500: 1 },
      slotWaitMs: 3,
      slotDenied: 0,
      staleServed: 1,
      earlyRefreshes: 0,
      flightsJoined: 0,
      cacheWritesDropped: 0,
    };

    // Act
    metrics.captureColdStartMetric('portrait-http');
    recordServeStats(metrics, stats);
    metrics.addMetric(METRIC.CacheErrors, MetricUnit.Count, 1);
    metrics.publishStoredMetrics();

    // Assess
    const seen = published(output);
    const names: GatewayMetricName[] = [
      'ColdStart',
      'CacheHits',
      'CacheMisses',
      'UpstreamCalls',
      'UpstreamErrors',
      'SlotWaitMs',
      'SlotDenied',
      'StaleServed',
      'EarlyRefreshes',
      'CacheWritesDropped',
      'CacheErrors',
    ];
    expect(seen.map((m) => m.name).sort()).toEqual([...names].sort());
    for (const metric of seen) {
      expect(metric).toEqual({
        name: metric.name,
        namespace: METRICS_NAMESPACE,
        dimensions: [...dimensionsOf(metric.name as GatewayMetricName)].sort(),
        service: SERVICE,
      });
    }
  });
});
