import { type Disposition, isRetryable, ruleFor } from './tencent/error-codes.ts';

/**
 * The gateway's one error family. Every error raised on purpose is a {@link GatewayError}: a
 * Tencent-style `code` for the reply, and a `disposition` from the code table that says what to do
 * about it (retry, back off, refuse the request, call an operator). Wrapping errors always pass the
 * original as `cause`, so a log shows the whole chain; what reaches a caller is decided in one place
 * (`shared/failure.ts`) and never includes a cause's text.
 */
export abstract class GatewayError extends Error {
  abstract readonly disposition: Disposition;
  /** A Tencent (or Tencent-style) code for the gateway's reply. */
  abstract readonly code: number;
  /** Whether another attempt (with its own call slot) could succeed. */
  get retryable(): boolean {
    return isRetryable(this.disposition);
  }
}

// ——— The caller's request ———

/** The request was refused before any upstream call: retrying it as it is can never succeed. */
export class InvalidRequestError extends GatewayError {
  override readonly name: string = 'InvalidRequestError';
  readonly disposition: Disposition = 'fatal-request';
  /** 40001 a bad field, 40002 no `To_Account`, 60003 a body that is not JSON. */
  readonly code: 40001 | 40002 | 60003;
  /** What was wrong: `body`, `To_Account[3]`, `TagList`, `CorrelationId`… */
  readonly field: string;
  constructor(code: 40001 | 40002 | 60003, field: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.field = field;
  }
}

/** The body is larger than the gateway accepts: HTTP 413, 40001 on `body`. */
export class BodyTooLargeError extends InvalidRequestError {
  override readonly name = 'BodyTooLargeError';
  constructor(bytes: number, maxBytes: number) {
    super(40001, 'body', `body is ${bytes} bytes; at most ${maxBytes} are accepted`);
  }
}

// ——— What Tencent, or the way to it, did ———

/** Base of what Tencent, or the network path to it, did; `retryable` follows the code table. */
export abstract class TencentError extends GatewayError {}

/** Tencent answered `ActionStatus: FAIL` with a code. */
export class TencentApiError extends TencentError {
  override readonly name: string = 'TencentApiError';
  readonly disposition: Disposition;
  readonly code: number;
  /** Tencent's own ErrorInfo, kept for logs; it never holds our secrets. */
  readonly errorInfo: string;
  /** `disposition` overrides the code table's where the call's context says more (see `tag-refusals.ts`). */
  constructor(code: number, errorInfo: string, options?: ErrorOptions & { disposition?: Disposition }) {
    const rule = ruleFor(code);
    super(`Tencent refused portrait_get with ${code}: ${rule.hint}`, options);
    this.disposition = options?.disposition ?? rule.disposition;
    this.code = code;
    this.errorInfo = errorInfo;
  }
}

export type TransportFailure = 'timeout' | 'connection' | 'http-status' | 'aborted';

/**
 * Tencent could not be reached or answered outside its protocol (no body, 5xx, reset, timeout).
 * Code 60008 ("service timed out") is what a caller sees: Tencent's own closest meaning.
 */
export class TencentTransportError extends TencentError {
  override readonly name: string = 'TencentTransportError';
  readonly disposition: Disposition = 'retry';
  readonly code = 60008;
  readonly failure: TransportFailure;
  readonly httpStatus: number | undefined;
  constructor(failure: TransportFailure, message: string, options?: ErrorOptions & { httpStatus?: number }) {
    super(message, options);
    this.failure = failure;
    this.httpStatus = options?.httpStatus;
  }
}

/** Tencent answered HTTP 200 with something that is not a portrait_get reply (bad JSON, wrong shape). */
export class TencentProtocolError extends TencentError {
  override readonly name: string = 'TencentProtocolError';
  readonly disposition: Disposition = 'retry';
  readonly code = 70500;
}

/** How long Tencent refuses an app's calls after too many failed signature checks (70050). */
export const TENCENT_LOCKOUT_MS = 60_000;

/**
 * Tencent locked the app out after too many failed signature checks (70050): no call is made until
 * the minute is over, since each would only prolong the lockout.
 */
export class UpstreamLockedError extends TencentError {
  override readonly name = 'UpstreamLockedError';
  readonly disposition: Disposition = 'wait-minute';
  readonly code = 70050;
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number, options?: ErrorOptions) {
    super(
      `Tencent refuses this app's calls after too many failed signature checks; retry after ${retryAfterMs} ms`,
      options,
    );
    this.retryAfterMs = retryAfterMs;
  }
}

// ——— The gateway's own limits and dependencies ———

/** No call slot could be had before the deadline: the caller should retry after `retryAfterMs`. */
export class NoSlotError extends GatewayError {
  override readonly name = 'NoSlotError';
  readonly disposition: Disposition = 'rate-limited';
  readonly code = 60007;
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number, options?: ErrorOptions) {
    super(`no upstream call slot free under the rate ceiling; retry after ${retryAfterMs} ms`, options);
    this.retryAfterMs = retryAfterMs;
  }
}

export type Dependency = 'secret' | 'table' | 'queue';

/**
 * One of the gateway's own dependencies (secret, table, queue) failed: HTTP 503, SQS retry.
 * `retryAfterMs` is when the dependency's own adapter expects it back (the limiter says so), if known.
 */
export class DependencyError extends GatewayError {
  override readonly name = 'DependencyError';
  readonly disposition: Disposition = 'retry';
  readonly code = 70500;
  readonly dependency: Dependency;
  readonly retryAfterMs: number | undefined;
  constructor(dependency: Dependency, message: string, options?: ErrorOptions & { retryAfterMs?: number }) {
    super(message, options);
    this.dependency = dependency;
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** The invocation ran out of time before an answer was ready: 60008, Tencent's "service timed out". */
export class InvocationTimeoutError extends GatewayError {
  override readonly name = 'InvocationTimeoutError';
  readonly disposition: Disposition = 'retry';
  readonly code = 60008;
  constructor(options?: ErrorOptions) {
    super('the gateway ran out of time before an answer was ready', options);
  }
}

/** A configuration problem; the message names the variable, never its value when it is a secret. */
export class ConfigError extends GatewayError {
  override readonly name = 'ConfigError';
  readonly disposition: Disposition = 'fatal-config';
  readonly code = 70500;
}

/**
 * A result too large for what carries it (one queue message, one Lambda response): it can never be
 * delivered as it is, so it is refused with 40001 on `To_Account`, saying how many accounts would fit
 * so the sender can split the request.
 */
export class ResultTooLargeError extends InvalidRequestError {
  override readonly name = 'ResultTooLargeError';
  /** How many of the request's accounts surely fit (0: not even one). */
  readonly accountsThatFit: number;
  constructor(container: string, resultBytes: number, maxBytes: number, accountsThatFit: number) {
    super(
      40001,
      'To_Account',
      `the result is too large for ${container} (${resultBytes} bytes, the limit is ${maxBytes}): ` +
        `send fewer To_Account: at most ${accountsThatFit} fit for these tags`,
    );
    this.accountsThatFit = accountsThatFit;
  }
}
