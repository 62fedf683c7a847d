/**
 * Every metric a synthesized template's dashboards and alarms read, as CloudWatch will look it up:
 * a namespace, a metric name and the exact set of dimensions (CloudWatch matches a metric only by
 * its whole dimension set). Graph rows, alarm metrics, SEARCH expressions and Metrics Insights
 * queries all come out in this one shape, so a test can hold each against what the code emits.
 */

import {
  dimensionsOf,
  GATEWAY_METRIC_NAMES,
  type GatewayMetricName,
  METRICS_NAMESPACE,
  SERVICE_DIMENSION,
} from '../../shared/metric-catalog.ts';

/** One metric lookup; `dimensions` maps each named dimension to its value, or to `*` for "any". */
export interface MetricReference {
  /** Where it was found: the dashboard widget's title or the alarm's logical id. */
  where: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
}

/** What the template reads, and the expressions that name a namespace in a way not understood. */
export interface TemplateMetrics {
  references: MetricReference[];
  unrecognised: { where: string; expression: string }[];
}

type Resource = { Type: string; Properties: Record<string, unknown> };

const ANY = '*';

/** `SEARCH('{Namespace,dim1,dim2} MetricName="X" dim1="v"', 'Sum', 300)` */
const SEARCH = /^SEARCH\('\{([^}]*)\}\s*([^']*)'/;
/** `SELECT SUM(X) FROM SCHEMA("Namespace", dim1, dim2) WHERE dim1 = 'v'` */
const SELECT = /^SELECT\s+\w+\((\w+)\)\s+FROM\s+SCHEMA\(([^)]*)\)(?:\s+WHERE\s+(.*))?$/i;

/** The metrics every dashboard and alarm of `template` (CloudFormation JSON) reads. */
export function templateMetrics(template: Record<string, unknown>): TemplateMetrics {
  const found: TemplateMetrics = { references: [], unrecognised: [] };
  for (const [id, resource] of Object.entries(template.Resources as Record<string, Resource>)) {
    if (resource.Type === 'AWS::CloudWatch::Dashboard') dashboardMetrics(resource.Properties, found);
    if (resource.Type === 'AWS::CloudWatch::Alarm') alarmMetrics(id, resource.Properties, found);
  }
  return found;
}

/**
 * Parses one expression: the metrics a SEARCH or a Metrics Insights query reads; nothing for
 * arithmetic over other rows; `undefined` when it names a namespace in a form not understood here.
 */
export function expressionMetrics(where: string, expression: string): MetricReference[] | undefined {
  const search = SEARCH.exec(expression);
  if (search) {
    const [namespace = '', ...names] = splitList(search[1] ?? '');
    const terms = search[2] ?? '';
    const metricName = /MetricName="([^"]+)"/.exec(terms)?.[1];
    if (metricName === undefined) return undefined;
    return [{ where, namespace, metricName, dimensions: dimensionValues(names, terms, /(\w+)="([^"]*)"/g) }];
  }
  const select = SELECT.exec(expression);
  if (select) {
    const [namespace = '', ...names] = splitList(select[2] ?? '');
    const dimensions = dimensionValues(names, select[3] ?? '', /(\w+)\s*=\s*'([^']*)'/g);
    return [{ where, namespace, metricName: select[1] ?? '', dimensions }];
  }
  return /SEARCH|SELECT|\{/i.test(expression) ? undefined : [];
}

/**
 * What is wrong with the gateway metrics the template reads, one line each: a name the code never
 * emits, a dimension set other than the one it publishes with, a `service` other than `service`, or
 * an expression on the namespace this reader does not understand. Empty when every graph and alarm
 * reads a metric the functions do publish.
 */
export function catalogProblems(found: TemplateMetrics, service: string): string[] {
  const problems = found.unrecognised.map((u) => `${u.where}: expression not understood: ${u.expression}`);
  for (const ref of found.references.filter((r) => r.namespace === METRICS_NAMESPACE)) {
    const at = `${ref.where}: ${ref.metricName}`;
    if (!(GATEWAY_METRIC_NAMES as string[]).includes(ref.metricName)) {
      problems.push(`${at} is not a metric the functions emit`);
      continue;
    }
    const expected = [...dimensionsOf(ref.metricName as GatewayMetricName)].sort();
    const named = Object.keys(ref.dimensions).sort();
    if (named.join() !== expected.join()) {
      problems.push(`${at} is read with dimensions {${named}} but published with {${expected}}`);
    }
    if (ref.dimensions[SERVICE_DIMENSION] !== service) {
      problems.push(
        `${at} is read for ${SERVICE_DIMENSION}=${ref.dimensions[SERVICE_DIMENSION]}, not ${service}`,
      );
    }
  }
  return problems;
}

function dashboardMetrics(properties: Record<string, unknown>, found: TemplateMetrics): void {
  const body = JSON.parse(joined(properties.DashboardBody)) as {
    widgets: { properties: { title?: string; metrics?: unknown[][] } }[];
  };
  for (const { properties: widget } of body.widgets) {
    const where = widget.title ?? 'untitled widget';
    for (const row of widget.metrics ?? []) {
      const [first] = row;
      if (typeof first === 'object' && first !== null) {
        expression(where, (first as { expression: string }).expression, found);
        continue;
      }
      const [namespace, metricName, ...rest] = row.filter((cell) => typeof cell === 'string') as string[];
      const dimensions: Record<string, string> = {};
      for (let i = 0; i + 1 < rest.length; i += 2) dimensions[rest[i] as string] = rest[i + 1] as string;
      found.references.push({ where, namespace: namespace ?? '', metricName: metricName ?? '', dimensions });
    }
  }
}

type AlarmMetric = {
  Namespace: string;
  MetricName: string;
  Dimensions?: { Name: string; Value: unknown }[];
};

function alarmMetrics(id: string, properties: Record<string, unknown>, found: TemplateMetrics): void {
  const single = properties as Partial<AlarmMetric>;
  if (single.MetricName !== undefined) {
    found.references.push(reference(id, single as AlarmMetric));
    return;
  }
  const queries = (properties.Metrics ?? []) as {
    Expression?: string;
    MetricStat?: { Metric: AlarmMetric };
  }[];
  for (const query of queries) {
    if (query.Expression !== undefined) expression(id, query.Expression, found);
    if (query.MetricStat !== undefined) found.references.push(reference(id, query.MetricStat.Metric));
  }
}

function reference(where: string, metric: AlarmMetric): MetricReference {
  const dimensions = Object.fromEntries(
    (metric.Dimensions ?? []).map(({ Name, Value }) => [
      Name,
      typeof Value === 'string' ? Value : joined(Value),
    ]),
  );
  return { where, namespace: metric.Namespace, metricName: metric.MetricName, dimensions };
}

function expression(where: string, text: string, found: TemplateMetrics): void {
  const references = expressionMetrics(where, text);
  if (references === undefined) found.unrecognised.push({ where, expression: text });
  else found.references.push(...references);
}

/** Each named dimension with the value the query pins it to, or {@link ANY}. */
function dimensionValues(names: string[], terms: string, pair: RegExp): Record<string, string> {
  const pinned = new Map([...terms.matchAll(pair)].map(([, key, value]) => [key, value]));
  return Object.fromEntries(names.map((name) => [name, pinned.get(name) ?? ANY]));
}

function splitList(list: string): string[] {
  return list.split(',').map((item) => item.trim().replace(/^"(.*)"$/, '$1'));
}

/** A value that may be an `Fn::Join` of text and references, with each reference as its target's id. */
function joined(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map(joined).join(join[0]);
  const ref = (value as { Ref?: string }).Ref;
  if (ref !== undefined) return ref;
  const getAtt = (value as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt'];
  if (getAtt) return getAtt.join('.');
  return JSON.stringify(value);
}
