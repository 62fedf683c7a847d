import { Duration } from 'aws-cdk-lib';
import { MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import {
  dimensionsOf,
  type GatewayMetricName,
  METRICS_NAMESPACE,
  SERVICE_DIMENSION,
} from '../../shared/metric-catalog.ts';

/** Default period of every gateway metric the dashboard and alarms read. */
const DEFAULT_PERIOD = Duration.minutes(5);

export interface MetricOptions {
  statistic?: string;
  period?: Duration;
  label?: string;
}

/**
 * The functions' metrics of one deployment, as graphs and alarms read them: each names the whole
 * dimension set the catalog (shared/metric-catalog.ts) gives the metric, with `service` set to this
 * deployment's service name. CloudWatch matches a metric only by its exact dimension set, so a query
 * that names fewer dimensions than were published finds nothing.
 */
export class GatewayMetrics {
  /** The `service` dimension the functions publish with (the stack's name). */
  readonly service: string;

  constructor(service: string) {
    this.service = service;
  }

  /** A metric published with `service` alone; default: Sum over 5 minutes. */
  metric(name: GatewayMetricName, options: MetricOptions = {}): Metric {
    const extra = dimensionsOf(name).filter((d) => d !== SERVICE_DIMENSION);
    if (extra.length > 0) {
      throw new Error(`${name} is published per ${extra.join(', ')}: read it with search() or sum()`);
    }
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { [SERVICE_DIMENSION]: this.service },
      statistic: options.statistic ?? 'Sum',
      period: options.period ?? DEFAULT_PERIOD,
      ...(options.label && { label: options.label }),
    });
  }

  /** One series per value of the metric's other dimensions (e.g. per ErrorCode): a SEARCH expression. */
  search(name: GatewayMetricName, statistic = 'Sum'): MathExpression {
    const schema = [METRICS_NAMESPACE, ...dimensionsOf(name)].join(',');
    const seconds = DEFAULT_PERIOD.toSeconds();
    return new MathExpression({
      expression: `SEARCH('{${schema}} MetricName="${name}" ${SERVICE_DIMENSION}="${this.service}"', '${statistic}', ${seconds})`,
      usingMetrics: {},
      // Each series is labelled by its dimension values.
      label: '',
      period: DEFAULT_PERIOD,
    });
  }

  /** The metric summed over its other dimensions: a Metrics Insights query, which alarms accept. */
  sum(name: GatewayMetricName, label: string): MathExpression {
    const schema = [`"${METRICS_NAMESPACE}"`, ...dimensionsOf(name)].join(', ');
    return new MathExpression({
      expression: `SELECT SUM(${name}) FROM SCHEMA(${schema}) WHERE ${SERVICE_DIMENSION} = '${this.service}'`,
      usingMetrics: {},
      label,
      period: DEFAULT_PERIOD,
    });
  }
}
