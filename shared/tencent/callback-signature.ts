import { createHash, timingSafeEqual } from 'node:crypto';

/** How far `RequestTime` may be from now, either way (docs/tencent.md, "Webhooks"). */
export const DEFAULT_MAX_CLOCK_SKEW_SECONDS = 60;

/** The URL parameters Tencent adds to every webhook call; any of them may be missing. */
export interface CallbackQuery {
  SdkAppid?: string | undefined;
  RequestTime?: string | undefined;
  Sign?: string | undefined;
}

/** What a webhook is checked against: the app's own SDKAppID and its callback token, if one is set. */
export interface CallbackSecret {
  sdkAppId: number;
  callbackToken?: string | undefined;
}

export type CallbackRejection =
  /** No callback token is configured: nothing can be verified, so nothing is accepted. */
  | 'no-token'
  /** `SdkAppid` is missing or is another app's. */
  | 'wrong-app'
  /** `Sign` or `RequestTime` is missing or malformed: token authentication is off in the console. */
  | 'unsigned'
  /** `Sign` is not `hex(sha256(token + RequestTime))`. */
  | 'bad-signature'
  /** `RequestTime` is further from now than the allowed skew: a replay or a badly wrong clock. */
  | 'stale';

export type CallbackVerdict = { ok: true } | { ok: false; reason: CallbackRejection };

export interface VerifyOptions {
  /** The current time in epoch milliseconds. Default: `Date.now()`. */
  nowMs?: number;
  /** Default {@link DEFAULT_MAX_CLOCK_SKEW_SECONDS}. */
  maxSkewSeconds?: number;
}

const UNSIGNED_INTEGER = /^\d{1,15}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Tencent's webhook signature: `hex(sha256(token + requestTime))`, lowercase. */
export function callbackSign(token: string, requestTime: string): string {
  return createHash('sha256')
    .update(token + requestTime)
    .digest('hex');
}

/**
 * Checks a webhook's URL parameters against the app's SDKAppID and callback token: the app first
 * (403-class), then the signature, compared in constant time, then the time (401-class). The time
 * is checked after the signature so an unsigned caller learns nothing about the clock.
 */
export function verifyCallback(
  query: CallbackQuery,
  secret: CallbackSecret,
  options: VerifyOptions = {},
): CallbackVerdict {
  const { nowMs = Date.now(), maxSkewSeconds = DEFAULT_MAX_CLOCK_SKEW_SECONDS } = options;
  const token = secret.callbackToken;
  if (token === undefined || token === '') return { ok: false, reason: 'no-token' };
  if (query.SdkAppid !== String(secret.sdkAppId)) return { ok: false, reason: 'wrong-app' };
  const { RequestTime: requestTime, Sign: sign } = query;
  // Stryker disable next-line ConditionalExpression: UNSIGNED_INTEGER refuses a missing RequestTime as well; this narrows the type
  if (requestTime === undefined || sign === undefined) return { ok: false, reason: 'unsigned' };
  const given = sign.toLowerCase();
  if (!UNSIGNED_INTEGER.test(requestTime) || !SHA256_HEX.test(given))
    return { ok: false, reason: 'unsigned' };
  const expected = Buffer.from(callbackSign(token, requestTime));
  if (!timingSafeEqual(expected, Buffer.from(given))) return { ok: false, reason: 'bad-signature' };
  if (Math.abs(nowMs - Number(requestTime) * 1000) > maxSkewSeconds * 1000) {
    return { ok: false, reason: 'stale' };
  }
  return { ok: true };
}
