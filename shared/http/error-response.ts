import { InvalidRequestError, InvocationTimeoutError } from '../errors.ts';
import { type FailureKind, failureOf } from '../failure.ts';
import type { TencentEnvelope } from '../tencent/portrait-types.ts';

/** What the gateway answers for an error: an HTTP status, headers, and a Tencent-shaped body. */
export interface ErrorResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: TencentEnvelope;
}

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** The one table from a failure's kind to its HTTP status. */
export const STATUS_OF: Readonly<Record<FailureKind, number>> = {
  'bad-request': 400,
  'too-large': 413,
  'rate-limited': 429,
  upstream: 502,
  'locked-out': 502,
  unavailable: 503,
  'timed-out': 503,
  internal: 500,
};

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

/** Middy's own errors, as the gateway's error family says them; anything else as it is. */
function asGatewayError(error: unknown): unknown {
  if (isMiddyClientError(error)) {
    return new InvalidRequestError(60003, 'body', `body could not be parsed as JSON: ${error.message}`, {
      cause: error,
    });
  }
  if (isMiddyTimeout(error)) return new InvocationTimeoutError({ cause: error });
  return error;
}

/** `Retry-After` in whole seconds, at least 1 (HTTP has no finer unit; 0 would invite a hot loop). */
export const retryAfterSeconds = (ms: number): string => String(Math.max(1, Math.ceil(ms / 1000)));

/**
 * An error as the HTTP API answers it: the failure's envelope (`shared/failure.ts`), the status of
 * its kind, and `Retry-After` when the failure says when to come back.
 */
export function errorResponse(error: unknown): ErrorResponse {
  const { kind, envelope, retryAfterMs } = failureOf(asGatewayError(error));
  return {
    statusCode: STATUS_OF[kind],
    headers: {
      'Content-Type': JSON_CONTENT_TYPE,
      ...(retryAfterMs !== undefined && { 'Retry-After': retryAfterSeconds(retryAfterMs) }),
    },
    body: envelope,
  };
}
