import type { UserProfileItem } from '../tencent/portrait-types.ts';
import { refreshesEarly } from './early-refresh.ts';
import type { CacheEntry } from './ports.ts';

/** What one request does with what the cache read found. */
export interface ReadPlan {
  /** Answered from the cache: fresh, and not picked for an early refresh. */
  hits: Map<string, UserProfileItem>;
  /** To fetch from Tencent, in request order: misses, stale entries and early refreshes. */
  fetch: string[];
  /**
   * What the cache holds for accounts of {@link fetch}: fresh ones refreshed early, stale ones
   * within the request's stale-if-error window. They answer only when Tencent cannot.
   */
  fallback: Map<string, CacheEntry>;
  /** Fresh entries picked for an early refresh. */
  earlyRefreshes: number;
}

/**
 * Splits a request's accounts by what the cache read found: a fresh entry answers, unless the
 * draw picks it for an early refresh ({@link refreshesEarly}, one draw of `random` per fresh
 * entry); anything else is fetched, with the entry (if any) kept as the fallback.
 */
export function planRead(
  accounts: readonly string[],
  entries: ReadonlyMap<string, CacheEntry>,
  earlyRefreshMs: number,
  random: () => number,
): ReadPlan {
  const plan: ReadPlan = { hits: new Map(), fetch: [], fallback: new Map(), earlyRefreshes: 0 };
  for (const account of accounts) {
    const entry = entries.get(account);
    const fresh = entry !== undefined && entry.freshForMs > 0;
    if (fresh && !refreshesEarly(entry.freshForMs, earlyRefreshMs, random())) {
      plan.hits.set(account, entry.item);
      continue;
    }
    plan.fetch.push(account);
    if (entry === undefined) continue;
    plan.fallback.set(account, entry);
    if (fresh) plan.earlyRefreshes += 1;
  }
  return plan;
}
