import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { REGION_NAMES, type RegionName, upstreamOrigins } from './tencent/regions.ts';

/** Every default of the gateway, in one place (DESIGN.md §2). */
export const DEFAULTS = {
  port: 3000,
  host: '127.0.0.1',
  tableName: 'portrait-gateway',
  rateLimitPerSecond: 200,
  rateMarginMs: 50,
  cacheTtlSeconds: 600,
  negativeCacheTtlSeconds: 60,
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
  rateLimitPerSecond: number;
  /** m: clock skew, late release and arrival jitter the rate ceiling tolerates (docs/rate-limit.md). */
  rateMarginMs: number;
  cacheTtlSeconds: number;
  negativeCacheTtlSeconds: number;
  maxAccountsPerRequest: number;
  resultsQueueUrl?: string;
}

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const integer = ({ min, max }: { min: number; max: number }, fallback: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === '' ? String(fallback) : v))
    .pipe(z.string().regex(/^\d+$/, 'must be a whole number'))
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const url = optionalText.pipe(z.url({ protocol: /^https?$/ }).optional());

const envSchema = z.object({
  PORT: integer({ min: 0, max: 65_535 }, DEFAULTS.port),
  HOST: optionalText.transform((v) => v ?? DEFAULTS.host),
  TIM_REGION: optionalText.pipe(z.enum(REGION_NAMES as [RegionName, ...RegionName[]]).optional()),
  TIM_BASE_URL: url,
  TIM_SDKAPPID: optionalText.pipe(
    z
      .string()
      .regex(/^[1-9]\d{0,11}$/, 'must be a positive number')
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
        .regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'must be a DynamoDB table name')
        .optional(),
    )
    .transform((v) => v ?? DEFAULTS.tableName),
  RATE_LIMIT_PER_SECOND: integer(BOUNDS.rateLimitPerSecond, DEFAULTS.rateLimitPerSecond),
  RATE_MARGIN_MS: integer(BOUNDS.rateMarginMs, DEFAULTS.rateMarginMs),
  CACHE_TTL_SECONDS: integer(BOUNDS.ttlSeconds, DEFAULTS.cacheTtlSeconds),
  NEGATIVE_CACHE_TTL_SECONDS: integer(BOUNDS.ttlSeconds, DEFAULTS.negativeCacheTtlSeconds),
  MAX_ACCOUNTS_PER_REQUEST: integer(BOUNDS.maxAccountsPerRequest, DEFAULTS.maxAccountsPerRequest),
  RESULTS_QUEUE_URL: url,
});

const STATIC_CREDENTIAL_VARS = ['TIM_SDKAPPID', 'TIM_ADMIN_IDENTIFIER', 'TIM_SECRET_KEY'] as const;

/**
 * Parses and validates the environment once (at cold start). Throws {@link ConfigError} naming
 * the first variable that is wrong. Defaults: {@link DEFAULTS}.
 */
export function parseConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(`${variable} ${issue?.message ?? 'is invalid'}`);
  }
  const e = parsed.data;
  const config: GatewayConfig = {
    port: e.PORT,
    host: e.HOST,
    credentials: credentialsFrom(e),
    tableName: e.TABLE_NAME,
    rateLimitPerSecond: e.RATE_LIMIT_PER_SECOND,
    rateMarginMs: e.RATE_MARGIN_MS,
    cacheTtlSeconds: e.CACHE_TTL_SECONDS,
    negativeCacheTtlSeconds: e.NEGATIVE_CACHE_TTL_SECONDS,
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
      throw new ConfigError((error as Error).message, { cause: error });
    }
  }
  return config;
}

function credentialsFrom(e: z.infer<typeof envSchema>): CredentialsSource {
  const given = STATIC_CREDENTIAL_VARS.filter((name) => e[name] !== undefined);
  if (given.length > 0 && given.length < STATIC_CREDENTIAL_VARS.length) {
    const missing = STATIC_CREDENTIAL_VARS.filter((name) => e[name] === undefined);
    throw new ConfigError(`${missing.join(', ')} must be set together with ${given.join(', ')}`);
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
