import { setTimeout as sleep } from 'node:timers/promises';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { CachePolicy, ProfileCache } from '../portrait/ports.ts';
import { PARTITION_KEY, TTL_ATTRIBUTE } from '../table-definition.ts';
import { DEFAULT_MAX_CLOCK_SKEW_SECONDS } from '../tencent/callback-signature.ts';
import type { ProfileItem, ProfileValue, UserProfileItem } from '../tencent/portrait-types.ts';

/** Where a swallowed DynamoDB failure happened, for the caller's log line and metric. */
export type CacheOperation = 'read' | 'write';

export interface ProfileCacheOptions {
  /** Built by `createDynamoDbClients`, with its short timeouts. */
  client: DynamoDBDocumentClient;
  tableName: string;
  /** How long a fetched value counts as fresh. */
  cacheTtlSeconds: number;
  /** How long "account not found" (40003) counts as fresh. */
  negativeCacheTtlSeconds: number;
  /** Epoch ms. Default `Date.now`. */
  now?: () => number;
  /**
   * How far a stamp may be ahead of `now` and still be believed (a webhook's `EventTime` comes from
   * Tencent's clock). Default {@link DEFAULT_MAX_CLOCK_SKEW_SECONDS}, what the webhook receiver allows.
   */
  maxClockSkewSeconds?: number;
  /** Told about every DynamoDB failure that `read`/`write` swallowed. Default: ignore. */
  onError?: (operation: CacheOperation, error: unknown) => void;
  /** `UpdateItem` calls in flight per `write`. Default 25 (the SDK pools 50 sockets). */
  writeConcurrency?: number;
  /** Retries of a BatchGetItem's `UnprocessedKeys`, with doubling backoff. Default 4 (≤ ~0.4 s). */
  unprocessedRetries?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Keys BatchGetItem still left unprocessed after every retry; they were read as misses. */
export class UnprocessedKeysError extends Error {
  override readonly name = 'UnprocessedKeysError';
  readonly keys: number;
  constructor(keys: number) {
    super(`DynamoDB left ${keys} keys unprocessed after every retry; they were read as cache misses`);
    this.keys = keys;
  }
}

/** Tencent's "account does not exist": cached as not found, briefly. */
const NOT_FOUND_CODE = 40003;
/** BatchGetItem's documented maximum of keys per call. */
const BATCH_GET_MAX_KEYS = 100;
const FIRST_BACKOFF_MS = 25;
/**
 * Each tag is a top-level attribute `t_<Tag>` holding `{v?, at}` rather than an entry of one map
 * attribute: `SET t_X = :x` works whether or not the item exists, so merging fresh tags into an
 * item is one `UpdateItem`, where a nested `SET tags.X` fails until the map exists, and each tag's
 * own stamp can be part of the condition.
 */
const TAG_PREFIX = 't_';
const NOT_FOUND = 'notFound';
/**
 * Tags per `UpdateItem` of a write: the condition holds ~72 bytes per tag, so 48 tags stay under
 * DynamoDB's 4 KB limit on an expression (~3.5 KB). An app has at most 32 distinct tags (12
 * standard, 20 custom), and `write` drops repeats, so a real request stays one call per account.
 */
const TAGS_PER_UPDATE = 48;

/** One cached tag: `v` is absent when Tencent returned no value for it; `at` is its stamp (epoch ms). */
interface CachedTag {
  v?: ProfileValue;
  at: number;
}

/** A cached 40003, with Tencent's `ResultInfo`; `at` is its stamp (epoch ms). */
interface CachedNotFound {
  at: number;
  info: string;
}

type StoredItem = Record<string, unknown>;

interface FreshnessLimits {
  valueMs: number;
  notFoundMs: number;
  /** How far ahead of now a stamp may be and still be believed. */
  aheadMs: number;
}

const isStamped = (value: unknown): value is { at: number; [field: string]: unknown } =>
  typeof value === 'object' && value !== null && typeof (value as { at?: unknown }).at === 'number';

/** The partition key of an account's profile item. */
export const profileKey = (sdkAppId: number, account: string): string => `p#${sdkAppId}#${account}`;

/**
 * The profile cache on the gateway's DynamoDB table (DESIGN.md §4). One item per account: a
 * top-level attribute per tag (see {@link TAG_PREFIX}), `notFound` for a 40003, and `expiresAt`
 * (epoch s). Freshness is decided here on every read, from each tag's own `at`: DynamoDB's TTL only
 * collects garbage, lazily.
 *
 * Every tag and `notFound` carries a stamp `at`: when it was known true — the start of the
 * upstream call that fetched it, or a webhook's `EventTime`. A write only ever replaces an older
 * stamp (a conditional `UpdateItem`), so the newest knowledge wins whatever order writes land in:
 * an answer fetched before a profile change but stored after the webhook applied it is dropped.
 * Fetch starts come from our clock and `EventTime` from Tencent's: a skew between the two moves
 * the line between "before" and "after" a change by that much.
 *
 * A stamp more than the allowed clock skew ahead of now is not believed: it reads as a miss, and
 * any write may replace it. Otherwise a future stamp would count as fresh until long after its
 * TTL, and no fetch could replace it. Tencent's signature does not cover a webhook's body; the
 * receiver ignores such an `EventTime`, and this keeps one that got past it from pinning a value.
 *
 * `notFound` is a tombstone rather than a wipe, because a 40003 fetched before an account was
 * (re)created must not erase values a webhook stamped later, and a condition cannot name tags it
 * does not know. Tags stamped before the tombstone belong to an account that vanished and are
 * never served; a tag stamped at or after it proves the account exists, and the 40003 is no longer
 * served either.
 *
 * `expiresAt` is set by every write to max(now, stamp) + the longer of the two TTLs, with the stamp
 * taken as at most the allowed skew ahead (a stamp further ahead is never served). A stamp is no
 * later than the clock when it is stored (a fetch start, or an event time unless Tencent's clock
 * runs ahead, by at most the skew), so this is never earlier than the expiry of anything the item
 * serves by more than that skew — at most later by one upstream call, or by the difference of the
 * TTLs for a 40003 — and no write needs to read or compare the item's expiry.
 */
export class DynamoProfileCache implements ProfileCache {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #valueTtlMs: number;
  readonly #notFoundTtlMs: number;
  readonly #itemTtlMs: number;
  readonly #aheadMs: number;
  readonly #now: () => number;
  readonly #onError: (operation: CacheOperation, error: unknown) => void;
  readonly #writeConcurrency: number;
  readonly #unprocessedRetries: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: ProfileCacheOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#valueTtlMs = options.cacheTtlSeconds * 1000;
    this.#notFoundTtlMs = options.negativeCacheTtlSeconds * 1000;
    this.#itemTtlMs = Math.max(this.#valueTtlMs, this.#notFoundTtlMs);
    this.#aheadMs = (options.maxClockSkewSeconds ?? DEFAULT_MAX_CLOCK_SKEW_SECONDS) * 1000;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => {});
    this.#writeConcurrency = options.writeConcurrency ?? 25;
    this.#unprocessedRetries = options.unprocessedRetries ?? 4;
    this.#sleep = options.sleep ?? sleep;
  }

  /**
   * Hits for the accounts whose every tag is cached and fresh (a cached absent tag counts), or
   * whose fresh "not found" is cached; a stamp more than the clock skew ahead is a miss. `no-cache`
   * and `no-store` read nothing; `max-age` can only narrow the TTL.
   * BatchGetItem slices of 100 run in parallel; a slice that fails reads as misses.
   */
  async read(
    sdkAppId: number,
    accounts: readonly string[],
    tags: readonly string[],
    policy: CachePolicy,
  ): Promise<Map<string, UserProfileItem>> {
    const hits = new Map<string, UserProfileItem>();
    const skipped = policy.mode === 'no-cache' || policy.mode === 'no-store';
    if (skipped || accounts.length === 0 || tags.length === 0) return hits;
    const limits = this.#limits(policy);
    const tagList = [...new Set(tags)];
    const byKey = new Map([...new Set(accounts)].map((account) => [profileKey(sdkAppId, account), account]));
    const keys = [...byKey.keys()];
    const slices: string[][] = [];
    for (let start = 0; start < keys.length; start += BATCH_GET_MAX_KEYS)
      slices.push(keys.slice(start, start + BATCH_GET_MAX_KEYS));
    const found = await Promise.all(slices.map((slice) => this.#readSlice(slice)));
    const now = this.#now();
    for (const item of found.flat()) {
      const account = byKey.get(String(item[PARTITION_KEY]));
      if (account === undefined) continue;
      const hit = hitFrom(account, item, tagList, limits, now);
      if (hit) hits.set(account, hit);
    }
    return hits;
  }

  /**
   * Stores Tencent's answers, stamped `fetchedAtMs` (when the upstream call started), so their
   * freshness counts from then. An account's requested tags are merged into its item (a tag
   * without a value as absent; tags not requested keep their own stamps), each only where the
   * cached stamp is not later (or is beyond the clock skew ahead: not believed): one conditional
   * `UpdateItem` per account and 48 tags, and only when that fails (a webhook or a later fetch got
   * there first: rare) one per tag, so the other tags still land. A 40003 is stored as "not found"
   * under the short TTL unless a later believable one is cached; it hides the tags stamped before
   * it, not those stamped later. Other failures are not cached. Never
   * throws: after the first DynamoDB failure the rest of the write is dropped and reported.
   */
  async write(
    sdkAppId: number,
    tags: readonly string[],
    items: readonly UserProfileItem[],
    fetchedAtMs: number,
  ): Promise<void> {
    const tagList = [...new Set(tags)];
    const writes = items.filter(
      (item) => item.ResultCode === NOT_FOUND_CODE || (item.ResultCode === 0 && tagList.length > 0),
    );
    const failure = await untilFirstFailure(writes, this.#writeConcurrency, (item) => {
      const key = profileKey(sdkAppId, item.To_Account);
      return item.ResultCode === 0
        ? this.#storeValues(key, tagList, item.ProfileItem ?? [], fetchedAtMs)
        : this.#storeNotFound(key, item.ResultInfo, fetchedAtMs);
    });
    if (failure) this.#onError('write', failure.error);
  }

  /**
   * Applies a webhook's profile change (`Profile.CallbackPortraitSet`) to an account that is
   * cached, one conditional `UpdateItem` per tag: a tag is set, with `at = eventTimeMs`, only if
   * the item exists, the tag's cached stamp (if any) is older than the event, and any cached "not
   * found" is not newer (the tag then overrides it: the account exists). So an older or replayed
   * event never overwrites a newer value, an answer fetched before the event and stored after it
   * never overwrites the event's value (see `write`). A tag the account did not have cached yet is
   * added: a webhook carries a tag's whole new value, as true as a fetched one, so a later read of
   * that tag may be served from it. A cached stamp beyond the clock skew ahead is replaced; an
   * `eventTimeMs` that far ahead is stored but never served (see the class): the receiver ignores
   * such an event first. Values are stored as given: the caller checks them against their tags.
   *
   * No item is created for an account that is not cached: Tencent calls back for every profile
   * change in the app, and an item per never-read user would cost a write each. The price: when the
   * first fetch of an account is in flight while its profile changes, the webhook finds nothing to
   * update, and the fetch's older answer is cached until its TTL.
   *
   * `forget` names tags that changed to a value the caller would not store (e.g. of the wrong
   * type): each is removed where its cached value is older than the event, so the stale value is
   * not served and the next read fetches the tag anew.
   *
   * Resolves to the number of tags applied or forgotten. Unlike `read`/`write` it throws on a
   * DynamoDB failure: its caller answers the webhook and reports the failure.
   */
  async applyChanges(
    sdkAppId: number,
    account: string,
    changes: readonly ProfileItem[],
    eventTimeMs: number,
    signal?: AbortSignal,
    forget: readonly string[] = [],
  ): Promise<number> {
    const latest = new Map(changes.map((change) => [change.Tag, change.Value]));
    const key = profileKey(sdkAppId, account);
    const expiresAt = this.#expiresAt(eventTimeMs);
    const applied = await Promise.all([
      ...[...latest].map(([tag, value]) =>
        this.#applyChange(key, tag, { v: value, at: eventTimeMs }, expiresAt, signal),
      ),
      ...forget
        .filter((tag) => !latest.has(tag))
        .map((tag) => this.#forgetOlder(key, tag, eventTimeMs, signal)),
    ]);
    return applied.filter(Boolean).length;
  }

  #limits(policy: CachePolicy): FreshnessLimits {
    const aheadMs = this.#aheadMs;
    if (policy.mode !== 'max-age')
      return { valueMs: this.#valueTtlMs, notFoundMs: this.#notFoundTtlMs, aheadMs };
    const maxAgeMs = policy.maxAgeSeconds * 1000;
    return {
      valueMs: Math.min(this.#valueTtlMs, maxAgeMs),
      notFoundMs: Math.min(this.#notFoundTtlMs, maxAgeMs),
      aheadMs,
    };
  }

  /** One slice of keys, with `UnprocessedKeys` retried; a DynamoDB failure reads as no items. */
  async #readSlice(keys: string[]): Promise<StoredItem[]> {
    const items: StoredItem[] = [];
    let pending = keys.map((key) => ({ [PARTITION_KEY]: key }));
    try {
      for (let retry = 0; pending.length > 0; retry += 1) {
        if (retry > 0) {
          if (retry > this.#unprocessedRetries) {
            this.#onError('read', new UnprocessedKeysError(pending.length));
            break;
          }
          await this.#sleep(backoffMs(retry));
        }
        const output = await this.#client.send(
          new BatchGetCommand({ RequestItems: { [this.#tableName]: { Keys: pending } } }),
        );
        items.push(...(output.Responses?.[this.#tableName] ?? []));
        pending = (output.UnprocessedKeys?.[this.#tableName]?.Keys ?? []) as typeof pending;
      }
    } catch (error) {
      this.#onError('read', error);
    }
    return items;
  }

  /** See {@link DynamoProfileCache} on `expiresAt`. */
  #expiresAt(stampMs: number): number {
    const now = this.#now();
    return expirySeconds(Math.min(Math.max(now, stampMs), now + this.#aheadMs) + this.#itemTtlMs);
  }

  /** Stamps later than this are not believed, so any write may replace them. */
  #unbelievableAfter(): number {
    return this.#now() + this.#aheadMs;
  }

  async #storeValues(key: string, tags: readonly string[], profile: readonly ProfileItem[], at: number) {
    const values = new Map(profile.map((item) => [item.Tag, item.Value]));
    const stamped = tags.map((tag): [string, CachedTag] => [
      tag,
      values.has(tag) ? { v: values.get(tag) as ProfileValue, at } : { at },
    ]);
    const expiresAt = this.#expiresAt(at);
    for (let start = 0; start < stamped.length; start += TAGS_PER_UPDATE) {
      const group = stamped.slice(start, start + TAGS_PER_UPDATE);
      if ((await this.#storeTags(key, group, at, expiresAt)) || group.length === 1) continue;
      for (const entry of group) await this.#storeTags(key, [entry], at, expiresAt);
    }
  }

  /**
   * Sets every tag of `entries`, or none when any of them is cached with a stamp later than `at`
   * (and believable).
   */
  #storeTags(key: string, entries: ReadonlyArray<[string, CachedTag]>, at: number, expiresAt: number) {
    const names: Record<string, string> = { '#at': 'at', '#exp': TTL_ATTRIBUTE };
    const values: Record<string, unknown> = {
      ':at': at,
      ':exp': expiresAt,
      ':ahead': this.#unbelievableAfter(),
    };
    const sets: string[] = [];
    const conditions: string[] = [];
    entries.forEach(([tag, cached], index) => {
      names[`#t${index}`] = TAG_PREFIX + tag;
      values[`:t${index}`] = cached;
      sets.push(`#t${index} = :t${index}`);
      conditions.push(
        `(attribute_not_exists(#t${index}) OR #t${index}.#at <= :at OR #t${index}.#at > :ahead)`,
      );
    });
    return this.#updateIf({
      TableName: this.#tableName,
      Key: { [PARTITION_KEY]: key },
      UpdateExpression: `SET ${sets.join(', ')}, #exp = :exp`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  /** Leaves the item's tags in place: those stamped later than `at` still count (see the class). */
  async #storeNotFound(key: string, info: string, at: number) {
    const notFound: CachedNotFound = { at, info };
    await this.#updateIf({
      TableName: this.#tableName,
      Key: { [PARTITION_KEY]: key },
      UpdateExpression: 'SET #nf = :nf, #exp = :exp',
      ConditionExpression: 'attribute_not_exists(#nf) OR #nf.#at <= :at OR #nf.#at > :ahead',
      ExpressionAttributeNames: { '#nf': NOT_FOUND, '#at': 'at', '#exp': TTL_ATTRIBUTE },
      ExpressionAttributeValues: {
        ':nf': notFound,
        ':at': at,
        ':exp': this.#expiresAt(at),
        ':ahead': this.#unbelievableAfter(),
      },
    });
  }

  #applyChange(
    key: string,
    tag: string,
    cached: CachedTag,
    expiresAt: number,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    return this.#updateIf(
      {
        TableName: this.#tableName,
        Key: { [PARTITION_KEY]: key },
        UpdateExpression: 'SET #t = :t, #exp = :exp',
        ConditionExpression:
          'attribute_exists(#pk) AND (attribute_not_exists(#t) OR #t.#at < :event OR #t.#at > :ahead) AND ' +
          '(attribute_not_exists(#nf) OR #nf.#at <= :event OR #nf.#at > :ahead)',
        ExpressionAttributeNames: {
          '#pk': PARTITION_KEY,
          '#t': TAG_PREFIX + tag,
          '#at': 'at',
          '#nf': NOT_FOUND,
          '#exp': TTL_ATTRIBUTE,
        },
        ExpressionAttributeValues: {
          ':t': cached,
          ':exp': expiresAt,
          ':event': cached.at,
          ':ahead': this.#unbelievableAfter(),
        },
      },
      signal,
    );
  }

  /** Removes a cached tag stamped before `eventTimeMs`; false when there was none. */
  #forgetOlder(
    key: string,
    tag: string,
    eventTimeMs: number,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    return this.#updateIf(
      {
        TableName: this.#tableName,
        Key: { [PARTITION_KEY]: key },
        UpdateExpression: 'REMOVE #t',
        ConditionExpression: 'attribute_exists(#pk) AND (#t.#at < :event OR #t.#at > :ahead)',
        ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#t': TAG_PREFIX + tag, '#at': 'at' },
        ExpressionAttributeValues: { ':event': eventTimeMs, ':ahead': this.#unbelievableAfter() },
      },
      signal,
    );
  }

  /** A conditional `UpdateItem`: false when its condition did not hold; other failures throw. */
  async #updateIf(input: UpdateCommandInput, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.#client.send(new UpdateCommand(input), { abortSignal: signal });
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

/**
 * The cache entry for `account` if it answers the request now, else undefined (a miss): its 40003
 * while no tag is stamped since, else its requested tags if each is fresh and not older than it.
 * A stamp beyond `limits.aheadMs` ahead of `now` is a miss, and proves nothing about the account.
 */
function hitFrom(
  account: string,
  item: StoredItem,
  tags: readonly string[],
  limits: FreshnessLimits,
  now: number,
): UserProfileItem | undefined {
  const believableUntil = now + limits.aheadMs;
  // A stamp within the skew ahead is as old as one stored now: max-age=0 still misses.
  const ageOf = (stamp: number) => Math.max(0, now - stamp);
  const notFound = item[NOT_FOUND];
  let vanishedAt = Number.NEGATIVE_INFINITY;
  if (notFound !== undefined) {
    if (!isStamped(notFound) || notFound.at > believableUntil) return undefined;
    if (!hasTagStampedBetween(item, notFound.at, believableUntil)) {
      if (ageOf(notFound.at) >= limits.notFoundMs) return undefined;
      const info = typeof notFound.info === 'string' ? notFound.info : '';
      return { To_Account: account, ResultCode: NOT_FOUND_CODE, ResultInfo: info };
    }
    vanishedAt = notFound.at;
  }
  const profile: ProfileItem[] = [];
  for (const tag of tags) {
    const cached = item[TAG_PREFIX + tag];
    if (
      !isStamped(cached) ||
      cached.at > believableUntil ||
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

const expirySeconds = (epochMs: number): number => Math.ceil(epochMs / 1000);

/** Doubling from 25 ms, with equal jitter so throttled instances do not retry in step. */
const backoffMs = (retry: number): number => {
  const ceiling = FIRST_BACKOFF_MS * 2 ** (retry - 1);
  return ceiling / 2 + (Math.random() * ceiling) / 2;
};

/** Runs `task` over `items`, at most `concurrency` at once; stops starting tasks after the first failure. */
async function untilFirstFailure<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<{ error: unknown } | undefined> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next] as T;
      next += 1;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return failure;
}
