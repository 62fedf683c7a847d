import type { CachePolicy } from '../portrait/ports.ts';
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

/** How old a stamp may be and still count, and how far ahead of now it may be and still be believed. */
export interface FreshnessLimits {
  valueMs: number;
  notFoundMs: number;
  aheadMs: number;
}

/** The cache's configured limits, from its settings in seconds. */
export const configuredLimits = (
  cacheTtlSeconds: number,
  negativeCacheTtlSeconds: number,
  maxClockSkewSeconds: number,
): FreshnessLimits => ({
  valueMs: cacheTtlSeconds * 1000,
  notFoundMs: negativeCacheTtlSeconds * 1000,
  aheadMs: maxClockSkewSeconds * 1000,
});

/**
 * The limits a read under `policy` applies, or undefined when the policy reads nothing (`no-cache`
 * and `no-store`). `max-age` can only narrow the configured TTLs.
 */
export function limitsFor(configured: FreshnessLimits, policy: CachePolicy): FreshnessLimits | undefined {
  switch (policy.mode) {
    case 'no-cache':
    case 'no-store':
      return undefined;
    case 'default':
      return configured;
    case 'max-age': {
      const maxAgeMs = policy.maxAgeSeconds * 1000;
      return {
        valueMs: Math.min(configured.valueMs, maxAgeMs),
        notFoundMs: Math.min(configured.notFoundMs, maxAgeMs),
        aheadMs: configured.aheadMs,
      };
    }
  }
}

/** The latest stamp believed at `nowMs`; a later one reads as a miss, and any write may replace it. */
export const believableUntil = (nowMs: number, limits: FreshnessLimits): number => nowMs + limits.aheadMs;

/**
 * The cache entry for `account` if `item` answers the request at `nowMs`, else undefined (a miss):
 * its 40003 while no tag is stamped since, else its requested tags (in requested order, absent ones
 * omitted) if each is fresh and not older than that 40003. A stamp beyond `limits.aheadMs` ahead of
 * `nowMs` is a miss, and proves nothing about the account.
 */
export function hitFrom(
  account: string,
  item: StoredItem,
  tags: readonly string[],
  limits: FreshnessLimits,
  nowMs: number,
): UserProfileItem | undefined {
  const latest = believableUntil(nowMs, limits);
  // A stamp within the skew ahead is as old as one stored now: max-age=0 still misses.
  const ageOf = (stamp: number) => Math.max(0, nowMs - stamp);
  const notFound = item[NOT_FOUND];
  let vanishedAt = Number.NEGATIVE_INFINITY;
  if (notFound !== undefined) {
    if (!isStamped(notFound) || notFound.at > latest) return undefined;
    if (!hasTagStampedBetween(item, notFound.at, latest)) {
      if (ageOf(notFound.at) >= limits.notFoundMs) return undefined;
      const info = typeof notFound.info === 'string' ? notFound.info : '';
      return { To_Account: account, ResultCode: NOT_FOUND_CODE, ResultInfo: info };
    }
    vanishedAt = notFound.at;
  }
  const profile: ProfileItem[] = [];
  for (const tag of tags) {
    const cached = item[tagAttribute(tag)];
    if (
      !isStamped(cached) ||
      cached.at > latest ||
      cached.at < vanishedAt ||
      ageOf(cached.at) >= limits.valueMs
    )
      return undefined;
    if ('v' in cached) profile.push({ Tag: tag, Value: cached.v as ProfileValue });
  }
  return { To_Account: account, ProfileItem: profile, ResultCode: 0, ResultInfo: '' };
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
 * of the two TTLs, with the stamp taken as at most the allowed skew ahead (a stamp further ahead is
 * never served). A stamp is no later than the clock when it is stored (a fetch start, or an event
 * time unless Tencent's clock runs ahead, by at most the skew), so this is never earlier than the
 * expiry of anything the item serves by more than that skew — at most later by one upstream call,
 * or by the difference of the TTLs for a 40003 — and no write needs to read or compare the item's
 * expiry.
 */
export function expiresAtSeconds(stampMs: number, nowMs: number, configured: FreshnessLimits): number {
  const itemTtlMs = Math.max(configured.valueMs, configured.notFoundMs);
  const from = Math.min(Math.max(nowMs, stampMs), nowMs + configured.aheadMs);
  return Math.ceil((from + itemTtlMs) / 1000);
}
