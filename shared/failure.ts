import {
  BodyTooLargeError,
  DependencyError,
  GatewayError,
  InvocationTimeoutError,
  NoSlotError,
  ResultTooLargeError,
  TENCENT_LOCKOUT_MS,
  TencentApiError,
  TencentProtocolError,
  TencentTransportError,
  UpstreamLockedError,
} from './errors.ts';
import type { TencentEnvelope } from './tencent/portrait-types.ts';

/**
 * What kind of failure a caller is told about, whatever carries the answer. HTTP maps each kind to a
 * status (`shared/http/error-response.ts`); the queue consumer publishes the envelope of a permanent
 * failure and leaves the message for a retry otherwise; the webhook answers with the envelope.
 */
export type FailureKind =
  /** The request is wrong: retrying it as it is can never succeed. */
  | 'bad-request'
  /** The body is larger than the gateway reads, or the result larger than what carries it. */
  | 'too-large'
  /** No call slot under the ceiling, or Tencent's own frequency limit. */
  | 'rate-limited'
  /** Tencent failed, could not be reached, or answered outside its protocol. */
  | 'upstream'
  /** Tencent refuses this app's calls for a while (70050). */
  | 'locked-out'
  /** One of the gateway's own dependencies (secret, table, queue) failed. */
  | 'unavailable'
  /** The invocation ran out of time. */
  | 'timed-out'
  /** Nothing the gateway foresaw. */
  | 'internal';

/** A failure as every transport answers it: a Tencent-shaped body, and when to try again. */
export interface Failure {
  kind: FailureKind;
  envelope: TencentEnvelope;
  /** When a retry is likely to be served; absent when nobody can say. */
  retryAfterMs?: number;
}

/**
 * When to come back after a refusal nobody can time: Tencent's own ceiling hit without a hint, a
 * dependency failing or the invocation running out of time. One second: a ceiling is per second,
 * and a table or secret blip rarely lasts longer; a caller that retries sooner only adds load.
 */
const DEFAULT_RETRY_AFTER_MS = 1_000;

/** Tencent's code for an error nobody foresaw: "internal error". */
const INTERNAL_ERROR_CODE = 70500;

/** Tencent's failure envelope with `code` and `info`; `info` must never hold a secret, URL or stack. */
export const failEnvelope = (code: number, info: string): TencentEnvelope => ({
  ActionStatus: 'FAIL',
  ErrorCode: code,
  ErrorInfo: info,
  ErrorDisplay: '',
});

const failure = (kind: FailureKind, code: number, info: string, retryAfterMs?: number): Failure => ({
  kind,
  envelope: failEnvelope(code, info),
  ...(retryAfterMs !== undefined && { retryAfterMs }),
});

/**
 * The one mapping from an error to what a caller is told (docs/api.md, "Statuses"). ErrorInfo is the
 * caller's own validation message, Tencent's code with its meaning, or fixed text: never a cause's
 * text, a secret, a UserSig, a URL or a stack.
 */
export function failureOf(error: unknown): Failure {
  if (!(error instanceof GatewayError)) {
    return failure('internal', INTERNAL_ERROR_CODE, 'internal error of the gateway; retry later');
  }
  switch (error.disposition) {
    case 'fatal-request':
      return failure(
        error instanceof BodyTooLargeError || error instanceof ResultTooLargeError
          ? 'too-large'
          : 'bad-request',
        error.code,
        error.message,
      );
    case 'wait-minute': {
      const waitMs = error instanceof UpstreamLockedError ? error.retryAfterMs : TENCENT_LOCKOUT_MS;
      return failure('locked-out', error.code, error.message, waitMs);
    }
    case 'rate-limited': {
      const waitMs = error instanceof NoSlotError ? error.retryAfterMs : DEFAULT_RETRY_AFTER_MS;
      return failure('rate-limited', error.code, error.message, waitMs);
    }
  }
  if (error instanceof DependencyError) {
    return failure(
      'unavailable',
      error.code,
      `the gateway's ${error.dependency} is unavailable; retry later`,
      error.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS,
    );
  }
  if (error instanceof InvocationTimeoutError) {
    return failure('timed-out', error.code, `${error.message}; retry later`, DEFAULT_RETRY_AFTER_MS);
  }
  if (error instanceof TencentTransportError) {
    return failure(
      'upstream',
      error.code,
      `Tencent could not be reached or did not answer (${error.failure})`,
    );
  }
  if (error instanceof TencentProtocolError) {
    return failure('upstream', error.code, 'Tencent answered outside its protocol');
  }
  if (error instanceof TencentApiError) return failure('upstream', error.code, error.message);
  return failure('internal', INTERNAL_ERROR_CODE, 'internal error of the gateway; retry later');
}
