import type { Disposition } from './tencent/error-codes.ts';
import { TencentError } from './tencent/errors.ts';

/** No call slot could be had before the deadline: the caller should retry after `retryAfterMs`. */
export class NoSlotError extends TencentError {
  override readonly name = 'NoSlotError';
  readonly disposition: Disposition = 'rate-limited';
  readonly code = 60007;
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number) {
    super(`no upstream call slot free under the rate ceiling; retry after ${retryAfterMs} ms`);
    this.retryAfterMs = retryAfterMs;
  }
}

/** One of the gateway's own dependencies (secret, table, queue) failed: HTTP 503, SQS retry. */
export class DependencyError extends TencentError {
  override readonly name = 'DependencyError';
  readonly disposition: Disposition = 'retry';
  readonly code = 70500;
  readonly dependency: 'secret' | 'table' | 'queue';
  constructor(dependency: 'secret' | 'table' | 'queue', message: string) {
    super(message);
    this.dependency = dependency;
  }
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
  constructor(retryAfterMs: number) {
    super(
      `Tencent refuses this app's calls after too many failed signature checks; retry after ${retryAfterMs} ms`,
    );
    this.retryAfterMs = retryAfterMs;
  }
}
