import { DependencyError, NoSlotError, TENCENT_LOCKOUT_MS, UpstreamLockedError } from '../errors.ts';
import {
  TencentApiError,
  TencentError,
  TencentProtocolError,
  TencentTransportError,
} from '../tencent/errors.ts';
import type { TencentEnvelope } from '../tencent/portrait-types.ts';
import { BodyTooLargeError } from './body-size-limit.ts';

/** What the gateway answers for an error: an HTTP status, headers, and a Tencent-shaped body. */
export interface ErrorResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: TencentEnvelope;
}

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Code for a malformed body: Tencent's own "could not parse the request JSON". */
const UNPARSABLE_JSON_CODE = 60003;

/** Code for an error the gateway did not foresee: Tencent's "internal error". */
const INTERNAL_ERROR_CODE = 70500;

/** Code for running out of the invocation's time: Tencent's own "service timed out". */
const TIMED_OUT_CODE = 60008;

/** When Tencent's ceiling was hit but no one said when a slot frees up. */
const DEFAULT_RETRY_AFTER_MS = 1_000;

const reply = (
  statusCode: number,
  code: number,
  errorInfo: string,
  headers: Record<string, string> = {},
): ErrorResponse => ({
  statusCode,
  headers: { 'Content-Type': JSON_CONTENT_TYPE, ...headers },
  body: { ActionStatus: 'FAIL', ErrorCode: code, ErrorInfo: errorInfo, ErrorDisplay: '' },
});

/** Middy's HTTP middlewares (body parser) throw errors with a 4xx `statusCode` and fixed messages. */
const isMiddyClientError = (error: unknown): error is Error & { statusCode: number } => {
  if (!(error instanceof Error) || !('statusCode' in error)) return false;
  const { statusCode } = error as { statusCode: unknown };
  const pkg = (error.cause as { package?: unknown } | undefined)?.package;
  return (
    typeof statusCode === 'number' && statusCode < 500 && typeof pkg === 'string' && pkg.startsWith('@middy/')
  );
};

/** Middy answers for a handler that would outlive the Lambda's remaining time with a `TimeoutError`. */
const isMiddyTimeout = (error: unknown): boolean =>
  error instanceof Error &&
  error.name === 'TimeoutError' &&
  String((error.cause as { package?: unknown } | undefined)?.package ?? '').startsWith('@middy/');

/** `Retry-After` in whole seconds, at least 1 (HTTP has no finer unit; 0 would invite a hot loop). */
const retryAfterSeconds = (ms: number): string => String(Math.max(1, Math.ceil(ms / 1000)));

/**
 * The one mapping from an error to the gateway's answer (DESIGN.md §2): 400 for a bad request
 * (413 for an oversized body), 429 with `Retry-After` for the rate ceiling, 502 when Tencent failed,
 * 503 when a dependency of the gateway failed, 500 for anything unforeseen. ErrorInfo is either the
 * caller's own validation message, Tencent's code with its meaning, or fixed text: never a secret,
 * a UserSig, a URL or a stack.
 */
export function errorResponse(error: unknown): ErrorResponse {
  if (error instanceof BodyTooLargeError) return reply(413, error.code, error.message);
  if (isMiddyClientError(error)) {
    return reply(400, UNPARSABLE_JSON_CODE, `body could not be parsed as JSON: ${error.message}`);
  }
  if (isMiddyTimeout(error)) {
    return reply(503, TIMED_OUT_CODE, 'the gateway ran out of time before an answer was ready; retry later');
  }
  if (error instanceof TencentError) return tencentErrorResponse(error);
  return reply(500, INTERNAL_ERROR_CODE, 'internal error of the gateway; retry later');
}

function tencentErrorResponse(error: TencentError): ErrorResponse {
  if (error.disposition === 'fatal-request') return reply(400, error.code, error.message);
  if (error.disposition === 'wait-minute') {
    const waitMs = error instanceof UpstreamLockedError ? error.retryAfterMs : TENCENT_LOCKOUT_MS;
    return reply(502, error.code, error.message, { 'Retry-After': retryAfterSeconds(waitMs) });
  }
  if (error.disposition === 'rate-limited') {
    const waitMs = error instanceof NoSlotError ? error.retryAfterMs : DEFAULT_RETRY_AFTER_MS;
    return reply(429, error.code, error.message, { 'Retry-After': retryAfterSeconds(waitMs) });
  }
  if (error instanceof DependencyError) {
    return reply(503, error.code, `the gateway's ${error.dependency} is unavailable; retry later`);
  }
  if (error instanceof TencentTransportError) {
    return reply(502, error.code, `Tencent could not be reached or did not answer (${error.failure})`);
  }
  if (error instanceof TencentProtocolError)
    return reply(502, error.code, 'Tencent answered outside its protocol');
  if (error instanceof TencentApiError) return reply(502, error.code, error.message);
  return reply(502, error.code, 'Tencent failed to answer');
}
