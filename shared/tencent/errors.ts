import { type Disposition, isRetryable, ruleFor } from './error-codes.ts';

/** Base of every error the Tencent adapter raises; `retryable` is derived from the code table. */
export abstract class TencentError extends Error {
  abstract readonly disposition: Disposition;
  /** A Tencent (or Tencent-style) code for the gateway's reply. */
  abstract readonly code: number;
  get retryable(): boolean {
    return isRetryable(this.disposition);
  }
}

/** Tencent answered `ActionStatus: FAIL` with a code. */
export class TencentApiError extends TencentError {
  override readonly name: string = 'TencentApiError';
  readonly disposition: Disposition;
  readonly code: number;
  /** Tencent's own ErrorInfo, kept for logs; it never holds our secrets. */
  readonly errorInfo: string;
  constructor(code: number, errorInfo: string) {
    const rule = ruleFor(code);
    super(`Tencent refused portrait_get with ${code}: ${rule.hint}`);
    this.disposition = rule.disposition;
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
  constructor(failure: TransportFailure, message: string, httpStatus?: number) {
    super(message);
    this.failure = failure;
    this.httpStatus = httpStatus;
  }
}

/** Tencent answered HTTP 200 with something that is not a portrait_get reply (bad JSON, wrong shape). */
export class TencentProtocolError extends TencentError {
  override readonly name: string = 'TencentProtocolError';
  readonly disposition: Disposition = 'retry';
  readonly code = 70500;
}

/** The request was rejected before any network use; `field` names what was wrong. */
export class InvalidRequestError extends TencentError {
  override readonly name: string = 'InvalidRequestError';
  readonly disposition: Disposition = 'fatal-request';
  readonly code: 40001 | 40002;
  readonly field: string;
  constructor(code: 40001 | 40002, field: string, message: string) {
    super(message);
    this.code = code;
    this.field = field;
  }
}
