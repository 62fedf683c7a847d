import type { CacheEntry, CachePolicy } from '../portrait/ports.ts';
import type { ProfileItem, ProfileValue, UserProfileItem } from '../tencent/portrait-types.ts';
import {
  isStamped,
  NOT_FOUND,
  NOT_FOUND_CODE,
  type StoredItem,
  TAG_PREFIX,
  tagAttribute,
} from './cached-item.ts';

/**
 * When a cached profile answers a request: pure rules over the item layout of `cached-item.ts`,
 * applied by the store on every read (DynamoDB's TTL only collects garbage, lazily).
 *
 * Every tag and `notFound` carries a stamp `at`: when it was known true — the start of the
 * upstream call that fetched it, or a webhook's `EventTime`. Fetch starts come from our clock and
 * `EventTime` from Tencent's: a skew between the two moves the line between "before" and "after" a
 * change by that much.
 *
 * A stamp more than the allowed clock skew ahead of now is not believed: it reads as a miss, and
 * any write may replace it. Otherwise a future stamp would count as fresh until long after its
 * TTL, and no fetch could replace it. Tencent's signature does not cover a webhook's body; the
 * receiver ignores such an `EventTime`, and this keeps one that got past it from pinning a value.
 *
 * `notFound` is a tombstone rather than a wipe, because a 40003 fetched before an account was
 * (re)created must not erase values a webhook stamped later. Tags stamped before the tombstone
 * belong to an account that vanished and are never served; a tag stamped at or after it proves the
 * account exists, and the 40003 is no longer served either.
 */

/**
 * How old a stamp may be and still count, how long past that it may still answer when Tencent
 * cannot (stale-if-error), and how far ahead of now it may be and still be believed.
 */
export interface FreshnessLimits {
  valueMs: number;
  notFoundMs: number;
  /** How long past its freshness an entry may still answer when Tencent cannot (RFC 5861). */
  staleMs: number;
  aheadMs: number;
}

/** The limits one read applies ({@link limitsFor}). */
export interface ReadLimits extends FreshnessLimits {
  /**
   * Every entry must be asked of Tencent first, fresh or not (`no-cache` with `stale-if-error`):
   * the read only backs up a failure.
   */
  revalidate: boolean;
}

/** The cache's configured limits, from its settings in seconds. */
export const configuredLimits = (
  cacheTtlSeconds: number,
  negativeCacheTtlSeconds: number,
  maxClockSkewSeconds: number,
  staleIfErrorSeconds = 0,
): FreshnessLimits => ({
  valueMs: cacheTtlSeconds * 1000,
  notFoundMs: negativeCacheTtlSeconds * 1000,
  staleMs: staleIfErrorSeconds * 1000,
  aheadMs: maxClockSkewSeconds * 1000,
});

/**
 * The limits a read under `policy` applies, or undefined when the policy reads nothing. `max-age`
 * and `stale-if-error` can only narrow the configured limits. `no-store` reads nothing; `no-cache`
 * reads nothing either unless it names a `stale-if-error` window, and then only as a fallback
 * (`revalidate`).
 */
export function limitsFor(configured: FreshnessLimits, policy: CachePolicy): ReadLimits | undefined {
  const staleMs =
    policy.staleIfErrorSeconds === undefined
      ? configured.staleMs
      : Math.min(configured.staleMs, policy.staleIfErrorSeconds * 1000);
  switch (policy.mode) {
    case 'no-store':
      return undefined;
    case 'no-cache':
      return policy.staleIfErrorSeconds === undefined || staleMs === 0
        ? undefined
        : { ...configured, staleMs, revalidate: true };
    case 'default':
      return { ...configured, staleMs, revalidate: false };
    case 'max-age': {
      const maxAgeMs = policy.maxAgeSeconds * 1000;
      return {
        valueMs: Math.min(configured.valueMs, maxAgeMs),
        notFoundMs: Math.min(configured.notFoundMs, maxAgeMs),
        staleMs,
        aheadMs: configured.aheadMs,
        revalidate: false,
      };
    }
  }
}

/** The latest stamp believed at `nowMs`; a later one reads as a miss, and any write may replace it. */
export const believableUntil = (nowMs: number, limits: Pick<FreshnessLimits, 'aheadMs'>): number =>
  nowMs + limits.aheadMs;

/**
 * How much longer a stamp fresh for `lifetimeMs` stays fresh at `nowMs`: positive while fresh,
 * minus how long it has been stale after. A stamp within the skew ahead is as old as one stored
 * now, so `max-age=0` still misses.
 */
const freshForMs = (stampMs: number, lifetimeMs: number, nowMs: number): number =>
  lifetimeMs - Math.max(0, nowMs - stampMs);

/**
 * The cache entry for `account` if `item` can answer the request at `nowMs`, else undefined (a
 * miss): its 40003 while no tag is stamped since, else its requested tags (in requested order,
 * absent ones omitted) if each is cached and not older than that 40003. The entry tells how much
 * longer it stays fresh (the least of its stamps'); one stale by less than `limits.staleMs` is
 * returned too, with a negative `freshForMs`, for the caller to serve only when Tencent cannot
 * answer. Under `revalidate` no entry counts as fresh. A stamp beyond `limits.aheadMs` ahead of
 * `nowMs` is a miss, and proves nothing about the account.
 */
export function entryFrom(
  account: string,
  item: StoredItem,
  tags: readonly string[],
  limits: ReadLimits,
  nowMs: number,
): CacheEntry | undefined {
  const latest = believableUntil(nowMs, limits);
  const entry = (answer: UserProfileItem, freshFor: number): CacheEntry | undefined => {
    const judged = limits.revalidate ? Math.min(0, freshFor) : freshFor;
    return judged > -limits.staleMs ? { item: answer, freshForMs: judged } : undefined;
  };
  const notFound = item[NOT_FOUND];
  let vanishedAt = Number.NEGATIVE_INFINITY;
  if (notFound !== undefined) {
    if (!isStamped(notFound) || notFound.at > latest) return undefined;
    if (!hasTagStampedBetween(item, notFound.at, latest)) {
      const info = typeof notFound.info === 'string' ? notFound.info : '';
      return entry(
        { To_Account: account, ResultCode: NOT_FOUND_CODE, ResultInfo: info },
        freshForMs(notFound.at, limits.notFoundMs, nowMs),
      );
    }
    vanishedAt = notFound.at;
  }
  const profile: ProfileItem[] = [];
  let freshFor = Number.POSITIVE_INFINITY;
  for (const tag of tags) {
    const cached = item[tagAttribute(tag)];
    if (!isStamped(cached) || cached.at > latest || cached.at < vanishedAt) return undefined;
    freshFor = Math.min(freshFor, freshForMs(cached.at, limits.valueMs, nowMs));
    if ('v' in cached) profile.push({ Tag: tag, Value: cached.v as ProfileValue });
  }
  return entry({ To_Account: account, ProfileItem: profile, ResultCode: 0, ResultInfo: '' }, freshFor);
}

/** Whether any tag of `item` is stamped from `sinceMs` to `untilMs`: the account existed then. */
const hasTagStampedBetween = (item: StoredItem, sinceMs: number, untilMs: number): boolean =>
  Object.entries(item).some(
    ([name, value]) =>
      name.startsWith(TAG_PREFIX) && isStamped(value) && value.at >= sinceMs && value.at <= untilMs,
  );

/**
 * Whether a write stamped `atMs` may replace `cached` (a tag or "not found") at `nowMs`: it is
 * absent, stamped no later, or stamped beyond belief. So the newest knowledge wins whatever order
 * writes land in. The store states the same rule as a DynamoDB condition.
 */
export const replaceableBy = (
  cached: unknown,
  atMs: number,
  nowMs: number,
  limits: FreshnessLimits,
): boolean =>
  cached === undefined ||
  (isStamped(cached) && (cached.at <= atMs || cached.at > believableUntil(nowMs, limits)));

/**
 * The item expiry (epoch s) a write stamped `stampMs` at `nowMs` sets: max(now, stamp) + the longer
 * of the two TTLs + the stale-if-error window (a stale value must outlive its freshness by that
 * much to back up a failure), with the stamp taken as at most the allowed skew ahead (a stamp further ahead is
 * never served). A stamp is no later than the clock when it is stored (a fetch start, or an event
 * time unless Tencent's clock runs ahead, by at most the skew), so this is never earlier than the
 * expiry of anything the item serves by more than that skew — at most later by one upstream call,
 * or by the difference of the TTLs for a 40003 — and no write needs to read or compare the item's
 * expiry.
 */
export function expiresAtSeconds(stampMs: number, nowMs: number, configured: FreshnessLimits): number {
  const itemTtlMs = Math.max(configured.valueMs, configured.notFoundMs) + configured.staleMs;
  const from = Math.min(Math.max(nowMs, stampMs), nowMs + configured.aheadMs);
  return Math.ceil((from + itemTtlMs) / 1000);
}
