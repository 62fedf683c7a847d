import { Duration, Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  type Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { GatewayMetrics } from './gateway-metrics.ts';

export interface ObservabilityProps {
  api: RestApi;
  functions: { http: IFunction; queue: IFunction; callback: IFunction };
  requestQueue: IQueue;
  deadLetterQueue: IQueue;
  resultsQueue: IQueue;
  /** The `service` dimension of the functions' metrics. */
  serviceName: string;
  /** Tencent's calls/second ceiling, drawn on the upstream graph. */
  rateLimitPerSecond: number;
  /** Where alarms notify; none when absent (the alarms still show on the dashboard). */
  alarmTopicArn?: string;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * Thresholds, per five minutes unless said otherwise. A denied slot is a caller told 429 or a queue
 * message retried: a few are the limiter doing its job, a sustained share means demand is above the
 * ceiling. Upstream errors are retried, so a handful is noise; a steady stream is Tencent or our
 * credentials failing.
 */
export const ALARM_THRESHOLDS = {
  slotDeniedPercent: 5,
  upstreamErrors: 10,
  api5xx: 5,
  throttles: 1,
  functionErrors: 1,
  tableErrors: 1,
} as const;

/** Alarms (DLQ, slot denials, upstream errors, API 5xx, throttles, function errors) and the dashboard. */
export class Observability extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { api, functions } = props;
    const gateway = new GatewayMetrics(props.serviceName);

    const slotDeniedPercent = new MathExpression({
      expression: '100 * FILL(denied, 0) / (FILL(denied, 0) + FILL(calls, 0))',
      usingMetrics: { denied: gateway.metric('SlotDenied'), calls: gateway.metric('UpstreamCalls') },
      label: 'slot requests denied (%)',
      period: FIVE_MINUTES,
    });
    const upstreamErrors = gateway.sum('UpstreamErrors', 'upstream errors');

    this.alarm('DeadLetterQueueNotEmpty', {
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(1),
      }),
      threshold: 1,
      description:
        'Queue requests failed maxReceiveCount times and wait in the DLQ: inspect and redrive them.',
    });
    this.alarm('SlotDeniedRate', {
      metric: slotDeniedPercent,
      threshold: ALARM_THRESHOLDS.slotDeniedPercent,
      evaluationPeriods: 3,
      description:
        'A sustained share of upstream call slots is denied: demand exceeds the Tencent ceiling (buy more, or warm the cache).',
    });
    this.alarm('UpstreamErrors', {
      metric: upstreamErrors,
      threshold: ALARM_THRESHOLDS.upstreamErrors,
      evaluationPeriods: 2,
      description: 'Tencent keeps failing portrait_get calls: see the errors-by-code graph on the dashboard.',
    });
    this.alarm('Api5xx', {
      metric: api.metricServerError({ statistic: 'Sum', period: FIVE_MINUTES }),
      threshold: ALARM_THRESHOLDS.api5xx,
      description:
        'The API answers 5xx: Tencent unreachable (502), a dependency down (503) or a function crash.',
    });
    this.alarm('TableErrors', {
      metric: new MathExpression({
        expression: 'FILL(limiter, 0) + FILL(cache, 0) + FILL(callback, 0)',
        usingMetrics: {
          limiter: gateway.metric('LimiterErrors'),
          cache: gateway.metric('CacheErrors'),
          callback: gateway.metric('CallbackCacheUpdateFailed'),
        },
        label: 'DynamoDB failures',
        period: FIVE_MINUTES,
      }),
      threshold: ALARM_THRESHOLDS.tableErrors,
      evaluationPeriods: 2,
      description:
        'The gateway cannot use its DynamoDB table: the limiter fails closed (503, no upstream calls) and the cache is bypassed.',
    });
    for (const [name, fn] of Object.entries(functions)) {
      this.alarm(`${capitalised(name)}Throttles`, {
        metric: fn.metricThrottles({ statistic: 'Sum', period: FIVE_MINUTES }),
        threshold: ALARM_THRESHOLDS.throttles,
        description: `Lambda throttled the ${name} function: its reserved concurrency is too small for the load.`,
      });
      this.alarm(`${capitalised(name)}Errors`, {
        metric: fn.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES }),
        threshold: ALARM_THRESHOLDS.functionErrors,
        description: `The ${name} function failed or timed out (handled errors do not count): see its log group.`,
      });
    }
    if (props.alarmTopicArn) {
      const topic = Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
      for (const alarm of this.alarms) {
        alarm.addAlarmAction(new SnsAction(topic));
        alarm.addOkAction(new SnsAction(topic));
      }
    }

    // Dashboard names are global to the account: the region keeps two regions' deploys apart.
    const stack = Stack.of(this);
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${stack.stackName}-${stack.region}`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      graph('Cache hit ratio (%)', [
        new MathExpression({
          expression: '100 * hits / (hits + misses)',
          usingMetrics: { hits: gateway.metric('CacheHits'), misses: gateway.metric('CacheMisses') },
          label: 'hit ratio',
          period: FIVE_MINUTES,
        }),
      ]),
      new GraphWidget({
        title: 'Upstream calls per second',
        left: [
          new MathExpression({
            expression: 'calls / PERIOD(calls)',
            usingMetrics: { calls: gateway.metric('UpstreamCalls', { period: Duration.minutes(1) }) },
            label: 'calls/s (1-minute mean)',
            period: Duration.minutes(1),
          }),
        ],
        leftAnnotations: [{ value: props.rateLimitPerSecond, label: 'Tencent ceiling', color: '#d62728' }],
        leftYAxis: { min: 0 },
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      graph('API latency (ms)', [
        api.metricLatency({ statistic: 'p50', label: 'p50' }),
        api.metricLatency({ statistic: 'p99', label: 'p99' }),
        api.metricIntegrationLatency({ statistic: 'p99', label: 'integration p99' }),
      ]),
      graph('Slot wait (ms)', [
        gateway.metric('SlotWaitMs', { statistic: 'p50', label: 'p50' }),
        gateway.metric('SlotWaitMs', { statistic: 'p99', label: 'p99' }),
        gateway.metric('SlotWaitMs', { statistic: 'Maximum', label: 'max' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Cache through failures and expiry', [
        gateway.metric('StaleServed', { label: 'accounts answered stale (Tencent failing)' }),
        gateway.metric('EarlyRefreshes', { label: 'early refreshes before expiry' }),
        gateway.metric('CacheWritesDropped', { label: 'answers not known to be cached' }),
      ]),
      graph('Upstream errors by code', [gateway.search('UpstreamErrors'), upstreamErrors]),
      graph('API responses', [
        api.metricClientError({ statistic: 'Sum', label: '4xx (429 included)' }),
        api.metricServerError({ statistic: 'Sum', label: '5xx' }),
        gateway.metric('SlotDenied', { label: 'slot denied' }),
        gateway.metric('ClientErrors', { label: 'answered 4xx by the function' }),
        gateway.metric('ServerErrors', { label: 'answered 5xx by the function' }),
        slotDeniedPercent,
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Functions: errors and throttles',
        Object.entries(functions).flatMap(([name, fn]) => [
          fn.metricErrors({ statistic: 'Sum', label: `${name} errors` }),
          fn.metricThrottles({ statistic: 'Sum', label: `${name} throttles` }),
        ]),
      ),
      graph('Queues', [
        props.requestQueue.metricApproximateNumberOfMessagesVisible({ label: 'requests waiting' }),
        props.requestQueue.metricApproximateAgeOfOldestMessage({ label: 'oldest request (s)' }),
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: 'DLQ' }),
        props.resultsQueue.metricApproximateNumberOfMessagesVisible({ label: 'results waiting' }),
        gateway.metric('MessagesDone', { label: 'requests answered' }),
        gateway.metric('MessagesRetried', { label: 'requests left for an SQS retry' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Gateway events', [
        gateway.metric('CallbackRejected', { label: 'callbacks rejected' }),
        gateway.metric('CallbackIgnored', { label: 'callbacks ignored' }),
        gateway.metric('ProfileChangesApplied', { label: 'profile changes applied from webhooks' }),
        gateway.metric('ProfileChangesDropped', { label: 'webhook values dropped (wrong type)' }),
        gateway.metric('ProfileChangesIgnored', { label: 'webhook custom tags past the app limit' }),
        gateway.metric('LimiterErrors', { label: 'limiter table failures' }),
        gateway.metric('CacheErrors', { label: 'cache table failures' }),
        gateway.metric('CallbackCacheUpdateFailed', { label: 'webhook cache updates failed' }),
        gateway.metric('RequestOverLimit', { label: 'Tencent over-limit alerts' }),
        // One series per function: Powertools publishes ColdStart per function_name.
        gateway.search('ColdStart'),
      ]),
      new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 12 }),
    );
  }

  private alarm(
    id: string,
    options: { metric: IMetric; threshold: number; evaluationPeriods?: number; description: string },
  ) {
    const alarm = new Alarm(this, id, {
      metric: options.metric,
      threshold: options.threshold,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
    this.alarms.push(alarm);
  }
}

function graph(title: string, left: (Metric | MathExpression | IMetric)[]): GraphWidget {
  return new GraphWidget({ title, left, width: 12 });
}

function capitalised(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
