import type { Node } from 'constructs';
import { z } from 'zod';
import { BOUNDS, DEFAULTS } from '../shared/config.ts';
import { REGION_NAMES, type RegionName } from '../shared/tencent/regions.ts';

/** Where the functions send their portrait_get calls: a Tencent data center, or an explicit origin. */
export type UpstreamTarget = { region: RegionName } | { baseUrl: string };

/** Everything the stack reads from CDK context, validated (README.md, "Deploy to AWS"; cdk.json). */
export interface StackConfig {
  secretName: string;
  upstream: UpstreamTarget;
  rateLimitPerSecond: number;
  rateMarginMs: number;
  cacheTtlSeconds: number;
  negativeCacheTtlSeconds: number;
  staleIfErrorSeconds: number;
  earlyRefreshMs: number;
  maxAccountsPerRequest: number;
  httpReservedConcurrency: number;
  queueReservedConcurrency: number;
  callbackReservedConcurrency: number;
  apiThrottleRate: number;
  apiThrottleBurst: number;
  callbackThrottleRate: number;
  callbackThrottleBurst: number;
  logRetentionDays: number;
  alarmTopicArn?: string;
}

/**
 * The defaults of every context key, the same values cdk.json spells out. Concurrency and throttling
 * are sized in portrait-gateway-stack.ts.
 */
export const STACK_DEFAULTS = {
  secretName: 'portrait-gateway/tencent',
  timRegion: 'singapore',
  rateLimitPerSecond: DEFAULTS.rateLimitPerSecond,
  rateMarginMs: DEFAULTS.rateMarginMs,
  cacheTtlSeconds: DEFAULTS.cacheTtlSeconds,
  negativeCacheTtlSeconds: DEFAULTS.negativeCacheTtlSeconds,
  staleIfErrorSeconds: DEFAULTS.staleIfErrorSeconds,
  earlyRefreshMs: DEFAULTS.earlyRefreshMs,
  maxAccountsPerRequest: DEFAULTS.maxAccountsPerRequest,
  httpReservedConcurrency: 50,
  queueReservedConcurrency: 10,
  callbackReservedConcurrency: 5,
  apiThrottleRate: 100,
  apiThrottleBurst: 50,
  callbackThrottleRate: 20,
  callbackThrottleBurst: 5,
  logRetentionDays: 30,
} as const;

/** The context keys the stack reads, in the order the README documents them. */
export const CONTEXT_KEYS = [
  'secretName',
  'timRegion',
  'timBaseUrl',
  'rateLimitPerSecond',
  'rateMarginMs',
  'cacheTtlSeconds',
  'negativeCacheTtlSeconds',
  'staleIfErrorSeconds',
  'earlyRefreshMs',
  'maxAccountsPerRequest',
  'httpReservedConcurrency',
  'queueReservedConcurrency',
  'callbackReservedConcurrency',
  'apiThrottleRate',
  'apiThrottleBurst',
  'callbackThrottleRate',
  'callbackThrottleBurst',
  'logRetentionDays',
  'alarmTopicArn',
] as const;

/** The stack's name unless `-c stackName=…` gives another. */
export const DEFAULT_STACK_NAME = 'PortraitGateway';

/** CloudFormation's rule for a stack name. */
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/**
 * The stack's name from context `stackName` (default {@link DEFAULT_STACK_NAME}). The REST API, the
 * dashboard and the metrics' `service` are named after it, so stacks of different names share an
 * account and region without sharing alarms.
 */
export function readStackName(node: Node): string {
  const given = node.tryGetContext('stackName') as unknown;
  const name = given === undefined || given === '' ? DEFAULT_STACK_NAME : given;
  if (typeof name !== 'string' || !STACK_NAME.test(name)) {
    throw new StackConfigError(
      `context "stackName" must start with a letter and hold up to 128 letters, digits and hyphens (got ${JSON.stringify(name)})`,
    );
  }
  return name;
}

/** A context value that cannot be deployed; the message names the key (`-c key=value`). */
export class StackConfigError extends Error {
  override readonly name = 'StackConfigError';
}

/** The retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const text = z.string().trim();

/** A whole number from cdk.json (number) or from `-c key=value` (string). */
const whole = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v),
    z
      .number({ error: (issue) => (issue.code === 'invalid_type' ? 'must be a whole number' : undefined) })
      .int('must be a whole number')
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`),
  );

const contextSchema = z.object({
  secretName: text.pipe(
    z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'must be a Secrets Manager secret name (not an ARN)'),
  ),
  timRegion: text.pipe(z.enum(REGION_NAMES as [RegionName, ...RegionName[]])),
  timBaseUrl: text.pipe(z.url({ protocol: /^https$/, error: 'must be an https URL' })).optional(),
  rateLimitPerSecond: whole(BOUNDS.rateLimitPerSecond.min, BOUNDS.rateLimitPerSecond.max),
  rateMarginMs: whole(BOUNDS.rateMarginMs.min, BOUNDS.rateMarginMs.max),
  cacheTtlSeconds: whole(BOUNDS.ttlSeconds.min, BOUNDS.ttlSeconds.max),
  negativeCacheTtlSeconds: whole(BOUNDS.ttlSeconds.min, BOUNDS.ttlSeconds.max),
  staleIfErrorSeconds: whole(BOUNDS.staleIfErrorSeconds.min, BOUNDS.staleIfErrorSeconds.max),
  earlyRefreshMs: whole(BOUNDS.earlyRefreshMs.min, BOUNDS.earlyRefreshMs.max),
  maxAccountsPerRequest: whole(BOUNDS.maxAccountsPerRequest.min, BOUNDS.maxAccountsPerRequest.max),
  httpReservedConcurrency: whole(1, 10_000),
  // An SQS event source's maxConcurrency is at least 2, and it must not exceed this.
  queueReservedConcurrency: whole(2, 1_000),
  callbackReservedConcurrency: whole(1, 1_000),
  apiThrottleRate: whole(1, 10_000),
  apiThrottleBurst: whole(1, 5_000),
  callbackThrottleRate: whole(1, 10_000),
  callbackThrottleBurst: whole(1, 5_000),
  logRetentionDays: whole(1, 3653).refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
    error: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
  }),
  alarmTopicArn: text
    .pipe(
      z
        .string()
        .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'must be an SNS topic ARN'),
    )
    .optional(),
});

/**
 * Reads and validates the stack's context once, at synth. Absent or empty keys take
 * {@link STACK_DEFAULTS}; `timBaseUrl` wins over `timRegion`. `stackRegion`, when known, is where the
 * stack deploys. Throws {@link StackConfigError} naming the first bad key.
 */
export function readStackConfig(node: Node, stackRegion?: string): StackConfig {
  const raw = Object.fromEntries(CONTEXT_KEYS.map((key) => [key, node.tryGetContext(key)]));
  const withDefaults = { ...STACK_DEFAULTS, ...definedOnly(raw) };
  const parsed = contextSchema.safeParse(withDefaults);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? 'context');
    throw new StackConfigError(
      `context "${key}" ${issue?.message ?? 'is invalid'} (got ${shown(withDefaults, key)})`,
    );
  }
  const c = parsed.data;
  requireAtMost(c.apiThrottleBurst, 'apiThrottleBurst', c.httpReservedConcurrency, 'httpReservedConcurrency');
  requireAtMost(
    c.callbackThrottleBurst,
    'callbackThrottleBurst',
    c.callbackReservedConcurrency,
    'callbackReservedConcurrency',
  );
  if (c.alarmTopicArn !== undefined && stackRegion !== undefined) {
    requireStackRegion(c.alarmTopicArn, stackRegion);
  }
  return {
    secretName: c.secretName,
    upstream: c.timBaseUrl !== undefined ? { baseUrl: c.timBaseUrl } : { region: c.timRegion },
    rateLimitPerSecond: c.rateLimitPerSecond,
    rateMarginMs: c.rateMarginMs,
    cacheTtlSeconds: c.cacheTtlSeconds,
    negativeCacheTtlSeconds: c.negativeCacheTtlSeconds,
    staleIfErrorSeconds: c.staleIfErrorSeconds,
    earlyRefreshMs: c.earlyRefreshMs,
    maxAccountsPerRequest: c.maxAccountsPerRequest,
    httpReservedConcurrency: c.httpReservedConcurrency,
    queueReservedConcurrency: c.queueReservedConcurrency,
    callbackReservedConcurrency: c.callbackReservedConcurrency,
    apiThrottleRate: c.apiThrottleRate,
    apiThrottleBurst: c.apiThrottleBurst,
    callbackThrottleRate: c.callbackThrottleRate,
    callbackThrottleBurst: c.callbackThrottleBurst,
    logRetentionDays: c.logRetentionDays,
    ...(c.alarmTopicArn && { alarmTopicArn: c.alarmTopicArn }),
  };
}

/** `-c key=` (an empty value) means the same as leaving the key out. */
function definedOnly(raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''));
}

function shown(values: Record<string, unknown>, key: string): string {
  return JSON.stringify(values[key]) ?? 'nothing';
}

/**
 * A burst larger than the reserved concurrency lets simultaneous requests reach more instances than
 * exist: Lambda then throttles them, which is what the stage throttle is there to prevent.
 */
function requireAtMost(value: number, key: string, limit: number, limitKey: string): void {
  if (value > limit) {
    throw new StackConfigError(`context "${key}" (${value}) must not exceed "${limitKey}" (${limit})`);
  }
}

/**
 * CloudWatch alarms notify only an SNS topic of their own region; CloudFormation would accept the
 * template and fail the deploy on the first alarm.
 */
function requireStackRegion(topicArn: string, stackRegion: string): void {
  const topicRegion = topicArn.split(':')[3];
  if (topicRegion !== stackRegion) {
    throw new StackConfigError(
      `context "alarmTopicArn" is a topic in ${topicRegion}, but the stack deploys to ${stackRegion}: ` +
        `alarms can notify only a topic in their own region (create one in ${stackRegion})`,
    );
  }
}
