import * as z from 'zod';
import { ConfigError } from './errors.ts';
import { REGION_NAMES, type RegionName, upstreamOrigins } from './tencent/regions.ts';
import { variableProblem } from './variable-problem.ts';

/** Every default of the gateway, in one place (docs/local.md, "Environment"; docs/cache.md for the cache's). */
export const DEFAULTS = {
  port: 3000,
  host: '127.0.0.1',
  tableName: 'portrait-gateway',
  /** The logs' and metrics' `service`; a deployed stack sets its own name (POWERTOOLS_SERVICE_NAME). */
  serviceName: 'portrait-gateway',
  rateLimitPerSecond: 200,
  rateMarginMs: 50,
  cacheTtlSeconds: 600,
  negativeCacheTtlSeconds: 60,
  /** How long past its freshness a cached value may answer when Tencent cannot (RFC 5861): a day. */
  staleIfErrorSeconds: 86_400,
  /** XFetch's δ·β of the early refresh, in ms (docs/cache.md, "Early refresh"); 0 turns it off. */
  earlyRefreshMs: 1000,
  maxAccountsPerRequest: 1000,
} as const;

/**
 * The accepted range of each numeric setting, shared with the CDK context check so a deploy cannot
 * pass a value the functions would refuse at cold start. The rate margin leaves 40 % of itself for
 * a call released late (docs/rate-limit.md, "The margin"): under 10 ms that is less than a busy
 * timer's lateness; a second's margin already halves the ceiling.
 */
export const BOUNDS = {
  rateLimitPerSecond: { min: 1, max: 100_000 },
  rateMarginMs: { min: 10, max: 1_000 },
  ttlSeconds: { min: 0, max: 31_536_000 },
  // A year, as the TTLs; 0 never serves a stale value.
  staleIfErrorSeconds: { min: 0, max: 31_536_000 },
  // A minute: refreshing earlier than that buys nothing a shorter TTL would not.
  earlyRefreshMs: { min: 0, max: 60_000 },
  // 5000 UserIDs of 32 bytes still fit the 256 KiB body limit (shared/http/body-size-limit.ts).
  maxAccountsPerRequest: { min: 1, max: 5_000 },
} as const;

/** Where the Tencent admin credentials come from. */
export type CredentialsSource =
  | { kind: 'secrets-manager'; secretId: string }
  | { kind: 'static'; sdkAppId: number; identifier: string; secretKey: string; callbackToken?: string }
  | { kind: 'none' };

export interface GatewayConfig {
  port: number;
  host: string;
  region?: RegionName;
  baseUrl?: string;
  credentials: CredentialsSource;
  dynamodbEndpoint?: string;
  tableName: string;
  serviceName: string;
  rateLimitPerSecond: number;
  /** m: clock skew, late release and arrival jitter the rate ceiling tolerates (docs/rate-limit.md). */
  rateMarginMs: number;
  cacheTtlSeconds: number;
  negativeCacheTtlSeconds: number;
  staleIfErrorSeconds: number;
  earlyRefreshMs: number;
  maxAccountsPerRequest: number;
  resultsQueueUrl?: string;
}

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const integer = ({ min, max }: { min: number; max: number }, fallback: number) => {
  const fix = `use a whole number from ${min} to ${max}, or unset it for the default (${fallback})`;
  return z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === '' ? String(fallback) : v))
    .pipe(z.string().regex(/^\d+$/, fix))
    .transform(Number)
    .pipe(z.number().int().min(min, fix).max(max, fix));
};

const url = optionalText.pipe(
  z.url({ protocol: /^https?$/, error: 'use an http:// or https:// URL, or unset it' }).optional(),
);

const envSchema = z.object({
  PORT: integer({ min: 0, max: 65_535 }, DEFAULTS.port),
  HOST: optionalText.transform((v) => v ?? DEFAULTS.host),
  TIM_REGION: optionalText.pipe(
    z
      .enum(REGION_NAMES as [RegionName, ...RegionName[]], {
        error: `use one of ${REGION_NAMES.join(', ')}, or unset it`,
      })
      .optional(),
  ),
  TIM_BASE_URL: url,
  TIM_SDKAPPID: optionalText.pipe(
    z
      .string()
      .regex(/^[1-9]\d{0,11}$/, "use the app's SDKAppID, a positive whole number such as 1400000000")
      .optional(),
  ),
  TIM_ADMIN_IDENTIFIER: optionalText,
  TIM_SECRET_KEY: optionalText,
  TIM_CALLBACK_TOKEN: optionalText,
  TIM_SECRET_ID: optionalText,
  DYNAMODB_ENDPOINT: url,
  TABLE_NAME: optionalText
    .pipe(
      z
        .string()
        .regex(
          /^[a-zA-Z0-9_.-]{3,255}$/,
          `use a DynamoDB table name (3 to 255 of a-z A-Z 0-9 _ . -), or unset it for the default (${DEFAULTS.tableName})`,
        )
        .optional(),
    )
    .transform((v) => v ?? DEFAULTS.tableName),
  POWERTOOLS_SERVICE_NAME: optionalText.transform((v) => v ?? DEFAULTS.serviceName),
  RATE_LIMIT_PER_SECOND: integer(BOUNDS.rateLimitPerSecond, DEFAULTS.rateLimitPerSecond),
  RATE_MARGIN_MS: integer(BOUNDS.rateMarginMs, DEFAULTS.rateMarginMs),
  CACHE_TTL_SECONDS: integer(BOUNDS.ttlSeconds, DEFAULTS.cacheTtlSeconds),
  NEGATIVE_CACHE_TTL_SECONDS: integer(BOUNDS.ttlSeconds, DEFAULTS.negativeCacheTtlSeconds),
  STALE_IF_ERROR_SECONDS: integer(BOUNDS.staleIfErrorSeconds, DEFAULTS.staleIfErrorSeconds),
  EARLY_REFRESH_MS: integer(BOUNDS.earlyRefreshMs, DEFAULTS.earlyRefreshMs),
  MAX_ACCOUNTS_PER_REQUEST: integer(BOUNDS.maxAccountsPerRequest, DEFAULTS.maxAccountsPerRequest),
  RESULTS_QUEUE_URL: url,
});

/** Every variable of the environment contract, as the schema reads them. */
export const ENVIRONMENT_VARIABLES = Object.keys(envSchema.shape) as ReadonlyArray<
  keyof typeof envSchema.shape
>;

const STATIC_CREDENTIAL_VARS = ['TIM_SDKAPPID', 'TIM_ADMIN_IDENTIFIER', 'TIM_SECRET_KEY'] as const;

/**
 * What to do about a value the schema refused, for a rule that states none itself: the schema's
 * own messages say it in full; this covers a plain zod rule in the same words.
 */
function fixFor(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'too_big':
      return `use a value of at most ${issue.maximum}`;
    case 'too_small':
      return `use a value of at least ${issue.minimum}`;
    case 'invalid_value':
      return `use one of ${issue.values.join(', ')}`;
    case 'invalid_format':
      return issue.format === 'regex'
        ? `use a value matching ${issue.pattern}`
        : `use a valid ${issue.format}`;
    default:
      return undefined;
  }
}

/**
 * Parses and validates the environment once (at cold start). Throws {@link ConfigError} naming the
 * first variable that is wrong, its value (never a secret's) and what to do
 * ({@link variableProblem}). Defaults: {@link DEFAULTS}.
 */
export function parseConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const parsed = envSchema.safeParse(env, { error: fixFor });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(variableProblem(variable, env[variable], issue?.message ?? 'use a valid value'));
  }
  const e = parsed.data;
  const config: GatewayConfig = {
    port: e.PORT,
    host: e.HOST,
    credentials: credentialsFrom(e),
    tableName: e.TABLE_NAME,
    serviceName: e.POWERTOOLS_SERVICE_NAME,
    rateLimitPerSecond: e.RATE_LIMIT_PER_SECOND,
    rateMarginMs: e.RATE_MARGIN_MS,
    cacheTtlSeconds: e.CACHE_TTL_SECONDS,
    negativeCacheTtlSeconds: e.NEGATIVE_CACHE_TTL_SECONDS,
    staleIfErrorSeconds: e.STALE_IF_ERROR_SECONDS,
    earlyRefreshMs: e.EARLY_REFRESH_MS,
    maxAccountsPerRequest: e.MAX_ACCOUNTS_PER_REQUEST,
    ...(e.TIM_REGION && { region: e.TIM_REGION }),
    ...(e.TIM_BASE_URL && { baseUrl: e.TIM_BASE_URL }),
    ...(e.DYNAMODB_ENDPOINT && { dynamodbEndpoint: e.DYNAMODB_ENDPOINT }),
    ...(e.RESULTS_QUEUE_URL && { resultsQueueUrl: e.RESULTS_QUEUE_URL }),
  };
  if (config.baseUrl !== undefined) {
    try {
      upstreamOrigins({ baseUrl: config.baseUrl });
    } catch (error) {
      throw new ConfigError(
        variableProblem(
          'TIM_BASE_URL',
          env.TIM_BASE_URL,
          'use an https:// URL (plain http:// only to this machine: localhost, 127.0.0.1, [::1])',
        ),
        { cause: error },
      );
    }
  }
  return config;
}

function credentialsFrom(e: z.infer<typeof envSchema>): CredentialsSource {
  const given = STATIC_CREDENTIAL_VARS.filter((name) => e[name] !== undefined);
  if (given.length > 0 && given.length < STATIC_CREDENTIAL_VARS.length) {
    const missing = STATIC_CREDENTIAL_VARS.filter((name) => e[name] === undefined);
    throw new ConfigError(
      variableProblem(
        missing[0] as string,
        undefined,
        `${STATIC_CREDENTIAL_VARS.join(', ')} go together; set ${missing.join(' and ')} too, or unset ${given.join(' and ')}`,
      ),
    );
  }
  if (e.TIM_SDKAPPID && e.TIM_ADMIN_IDENTIFIER && e.TIM_SECRET_KEY) {
    return {
      kind: 'static',
      sdkAppId: Number(e.TIM_SDKAPPID),
      identifier: e.TIM_ADMIN_IDENTIFIER,
      secretKey: e.TIM_SECRET_KEY,
      ...(e.TIM_CALLBACK_TOKEN && { callbackToken: e.TIM_CALLBACK_TOKEN }),
    };
  }
  if (e.TIM_SECRET_ID) return { kind: 'secrets-manager', secretId: e.TIM_SECRET_ID };
  return { kind: 'none' };
}
