import {
  DependencyError,
  type GatewayError,
  InvocationTimeoutError,
  NoSlotError,
  TencentError,
} from '../errors.ts';
import { failureOf } from '../failure.ts';
import type { Disposition } from '../tencent/error-codes.ts';
import type { UserProfileItem } from '../tencent/portrait-types.ts';
import type { CacheEntry } from './ports.ts';

/** What Tencent did when it could not answer: a transient failure, its ceiling, its lockout (70050). */
const OUTAGE_DISPOSITIONS: ReadonlySet<Disposition> = new Set(['retry', 'rate-limited', 'wait-minute']);

/**
 * Whether `error` means Tencent could not answer (docs/cache.md, "Stale-if-error"): a transport
 * failure, a 5xx or a timeout, Tencent's transient codes, its ceiling after the retries (60007…),
 * its lockout (70050), no call slot before the deadline, or a dependency of the gateway's own that
 * stood between it and Tencent. Not a refused request nor a misconfigured deployment: serving stale
 * values would only hide those.
 */
export function isOutage(error: unknown): error is GatewayError {
  if (error instanceof TencentError) return OUTAGE_DISPOSITIONS.has(error.disposition);
  return (
    error instanceof NoSlotError ||
    error instanceof InvocationTimeoutError ||
    error instanceof DependencyError
  );
}

/** What the cache answers for accounts whose fetch failed. */
export interface Fallback {
  /**
   * Answers by account: cached ones (fresh ones that were being refreshed early, stale ones), and
   * for accounts with nothing to serve the failure's code (in `Fail_Account`).
   */
  answers: Map<string, UserProfileItem>;
  /** Accounts answered stale, in the order of `failed`. */
  stale: string[];
  /** The failure, and the accounts it left with nothing to serve, when there are such. */
  failure?: { error: GatewayError; accounts: string[] };
}

/**
 * What answers `failed`, the accounts whose fetch ended in `error`, from what the cache holds for
 * them (`fallback`): an entry still fresh (it was being refreshed early) whatever the error; a stale
 * one only when the error is an outage ({@link isOutage}). Undefined when the request must fail
 * with `error` as a whole: nothing could be served, or some account could not be and the error is
 * no outage.
 */
export function fallbackFor(
  failed: readonly string[],
  fallback: ReadonlyMap<string, CacheEntry>,
  error: unknown,
): Fallback | undefined {
  const outage = isOutage(error);
  const answers = new Map<string, UserProfileItem>();
  const stale: string[] = [];
  const unserved: string[] = [];
  for (const account of failed) {
    const entry = fallback.get(account);
    if (entry === undefined || (entry.freshForMs <= 0 && !outage)) unserved.push(account);
    else {
      answers.set(account, entry.item);
      if (entry.freshForMs <= 0) stale.push(account);
    }
  }
  if (answers.size === 0) return undefined;
  if (unserved.length === 0) return { answers, stale };
  if (!outage) return undefined;
  const { envelope } = failureOf(error);
  for (const account of unserved) {
    answers.set(account, {
      To_Account: account,
      ResultCode: envelope.ErrorCode,
      ResultInfo: envelope.ErrorInfo,
    });
  }
  return { answers, stale, failure: { error, accounts: unserved } };
}
