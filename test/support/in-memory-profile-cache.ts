import {
  cacheableAnswers,
  NOT_FOUND,
  profileKey,
  type StoredItem,
  stampedTags,
  tagAttribute,
} from '../../shared/cache/cached-item.ts';
import {
  configuredLimits,
  entryFrom,
  type FreshnessLimits,
  limitsFor,
  replaceableBy,
} from '../../shared/cache/freshness.ts';
import type { CacheEntry, CachePolicy, ProfileCache } from '../../shared/portrait/ports.ts';
import type { UserProfileItem } from '../../shared/tencent/portrait-types.ts';

export interface InMemoryProfileCacheOptions {
  /** Epoch ms: the same clock as the code under test. */
  now: () => number;
  /** Default 600, as the integration fixture. */
  cacheTtlSeconds?: number;
  /** Default 60. */
  negativeCacheTtlSeconds?: number;
  /** Default 60. */
  maxClockSkewSeconds?: number;
  /** Default 0, as `DynamoProfileCache`'s. */
  staleIfErrorSeconds?: number;
}

/** One `write` as the cache was asked for it. */
export interface CacheWrite {
  sdkAppId: number;
  tags: readonly string[];
  items: readonly UserProfileItem[];
  fetchedAtMs: number;
  deadlineMs?: number;
}

/**
 * The profile cache in memory, on the same item layout and freshness rules as
 * `DynamoProfileCache` (`cached-item.ts`, `freshness.ts`): stamps, TTLs, "not found", skew and
 * cache policies behave alike; only DynamoDB is missing. Every write is recorded.
 */
export class InMemoryProfileCache implements ProfileCache {
  /** Every `write` asked for, whatever it stored. */
  readonly writes: CacheWrite[] = [];
  /**
   * How long a write takes on the test's clock: one that would end past its deadline stores
   * nothing (the real store aborts its calls then). Default 0.
   */
  writeMs = 0;
  readonly #items = new Map<string, StoredItem>();
  readonly #now: () => number;
  readonly #limits: FreshnessLimits;

  constructor(options: InMemoryProfileCacheOptions) {
    this.#now = options.now;
    this.#limits = configuredLimits(
      options.cacheTtlSeconds ?? 600,
      options.negativeCacheTtlSeconds ?? 60,
      options.maxClockSkewSeconds ?? 60,
      options.staleIfErrorSeconds ?? 0,
    );
  }

  async read(
    sdkAppId: number,
    accounts: readonly string[],
    tags: readonly string[],
    policy: CachePolicy,
  ): Promise<Map<string, CacheEntry>> {
    const hits = new Map<string, CacheEntry>();
    const limits = limitsFor(this.#limits, policy);
    if (limits === undefined || tags.length === 0) return hits;
    const tagList = [...new Set(tags)];
    for (const account of new Set(accounts)) {
      const item = this.#items.get(profileKey(sdkAppId, account));
      const hit = item && entryFrom(account, item, tagList, limits, this.#now());
      if (hit) hits.set(account, hit);
    }
    return hits;
  }

  /**
   * Each tag or "not found" lands where the store's condition would let it (`replaceableBy`);
   * nothing lands when the write would end past `deadlineMs` ({@link writeMs}).
   */
  async write(
    sdkAppId: number,
    tags: readonly string[],
    items: readonly UserProfileItem[],
    fetchedAtMs: number,
    deadlineMs?: number,
  ): Promise<number> {
    this.writes.push({ sdkAppId, tags, items, fetchedAtMs, ...(deadlineMs !== undefined && { deadlineMs }) });
    const tagList = [...new Set(tags)];
    const answers = cacheableAnswers(tagList, items);
    if (deadlineMs !== undefined && this.#now() + this.writeMs > deadlineMs) return answers.length;
    for (const answer of answers) {
      const key = profileKey(sdkAppId, answer.To_Account);
      const item = this.#items.get(key) ?? {};
      const updates: Array<[string, unknown]> =
        answer.ResultCode === 0
          ? stampedTags(tagList, answer.ProfileItem ?? [], fetchedAtMs).map(([tag, cached]) => [
              tagAttribute(tag),
              cached,
            ])
          : [[NOT_FOUND, { at: fetchedAtMs, info: answer.ResultInfo }]];
      for (const [attribute, value] of updates)
        if (replaceableBy(item[attribute], fetchedAtMs, this.#now(), this.#limits)) item[attribute] = value;
      this.#items.set(key, item);
    }
    return 0;
  }
}
