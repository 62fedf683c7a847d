import { setTimeout as sleep } from 'node:timers/promises';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { jitteredBackoffMs } from '../async/backoff.ts';
import { batchesOf } from '../async/batches.ts';
import { ConcurrencyLimit } from '../async/concurrency-limit.ts';
import { untilFirstFailure } from '../async/until-first-failure.ts';
import { DependencyError } from '../errors.ts';
import type { CacheEntry, CachePolicy, ProfileCache } from '../portrait/ports.ts';
import { PARTITION_KEY, TTL_ATTRIBUTE } from '../table-definition.ts';
import { DEFAULT_MAX_CLOCK_SKEW_SECONDS } from '../tencent/callback-signature.ts';
import type { ProfileItem, UserProfileItem } from '../tencent/portrait-types.ts';
import {
  type CachedNotFound,
  type CachedTag,
  cacheableAnswers,
  NOT_FOUND,
  profileKey,
  type StoredItem,
  stampedTags,
  tagAttribute,
} from './cached-item.ts';
import {
  believableUntil,
  configuredLimits,
  entryFrom,
  expiresAtSeconds,
  type FreshnessLimits,
  limitsFor,
} from './freshness.ts';
import {
  absentOrNotNewer,
  absentOrOlder,
  allOf,
  itemExists,
  presentAndOlder,
  stampPlaceholders,
} from './stamp-conditions.ts';

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
  /**
   * How long past its freshness a value is kept to answer when Tencent cannot (stale-if-error);
   * items live that much longer. Default 0: the gateway passes `STALE_IF_ERROR_SECONDS`.
   */
  staleIfErrorSeconds?: number;
  /** Told about every DynamoDB failure that `read`/`write` swallowed. Default: ignore. */
  onError?: (operation: CacheOperation, error: unknown) => void;
  /**
   * `UpdateItem` calls in flight for all writes of this cache together (`write` and `applyChanges`). Default 25: the SDK pools
   * 50 sockets, and the rate limiter's and the reads' calls must still find one while many
   * requests store their answers at once.
   */
  writeConcurrency?: number;
  /** Retries of a BatchGetItem's `UnprocessedKeys`, with doubling backoff. Default 4 (≤ ~0.4 s). */
  unprocessedRetries?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** BatchGetItem's documented maximum of keys per call. */
const BATCH_GET_MAX_KEYS = 100;
/** First wait before retrying `UnprocessedKeys`, doubled per retry. */
const FIRST_BACKOFF_MS = 25;
/**
 * Tags per `UpdateItem` of a write: the condition holds ~72 bytes per tag, so 48 tags stay under
 * DynamoDB's 4 KB limit on an expression (~3.5 KB). An app has at most 32 distinct tags (12
 * standard, 20 custom), and `write` drops repeats, so a real request stays one call per account.
 */
const TAGS_PER_UPDATE = 48;

/**
 * The profile cache on the gateway's DynamoDB table (docs/cache.md, "Data model"): one item per account, laid out
 * as `cached-item.ts` describes, plus `expiresAt` (epoch s). This class only reads and writes;
 * what a read may serve, what a write may replace and when an item expires are the rules of
 * `freshness.ts`, which every read applies and every write states as a condition
 * (`stamp-conditions.ts`).
 *
 * A write only ever replaces an older stamp (a conditional `UpdateItem`), so the newest knowledge
 * wins whatever order writes land in: an answer fetched before a profile change but stored after
 * the webhook applied it is dropped. `notFound` is a tombstone rather than a wipe also because a
 * condition cannot name tags it does not know.
 *
 * One class for the fetch path's writes and the webhook's (`applyChanges`), a little over 400 lines:
 * both state the same stamp conditions on the same items and share one cap on writes in flight
 * (`writeConcurrency`), which a second class would have to be handed.
 */
export class DynamoProfileCache implements ProfileCache {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #limits: FreshnessLimits;
  readonly #now: () => number;
  readonly #onError: (operation: CacheOperation, error: unknown) => void;
  readonly #writeConcurrency: number;
  readonly #writeSlots: ConcurrencyLimit;
  readonly #unprocessedRetries: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: ProfileCacheOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#limits = configuredLimits(
      options.cacheTtlSeconds,
      options.negativeCacheTtlSeconds,
      options.maxClockSkewSeconds ?? DEFAULT_MAX_CLOCK_SKEW_SECONDS,
      options.staleIfErrorSeconds ?? 0,
    );
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => {});
    this.#writeConcurrency = options.writeConcurrency ?? 25;
    this.#writeSlots = new ConcurrencyLimit(this.#writeConcurrency);
    this.#unprocessedRetries = options.unprocessedRetries ?? 4;
    this.#sleep = options.sleep ?? sleep;
  }

  /**
   * Entries for the accounts whose every tag is cached (a cached absent tag counts), or whose "not
   * found" is, fresh or stale within the request's stale-if-error window ({@link entryFrom}).
   * `no-store` reads nothing, nor does `no-cache` without a `stale-if-error`; `max-age` and
   * `stale-if-error` can only narrow the configured limits ({@link limitsFor}).
   * BatchGetItem slices of 100 run in parallel; a slice that fails reads as misses.
   */
  async read(
    sdkAppId: number,
    accounts: readonly string[],
    tags: readonly string[],
    policy: CachePolicy,
  ): Promise<Map<string, CacheEntry>> {
    const hits = new Map<string, CacheEntry>();
    const limits = limitsFor(this.#limits, policy);
    if (limits === undefined || accounts.length === 0 || tags.length === 0) return hits;
    const tagList = [...new Set(tags)];
    const byKey = new Map([...new Set(accounts)].map((account) => [profileKey(sdkAppId, account), account]));
    const slices = batchesOf([...byKey.keys()], BATCH_GET_MAX_KEYS);
    const found = await Promise.all(slices.map((slice) => this.#readSlice(slice)));
    const now = this.#now();
    for (const item of found.flat()) {
      const account = byKey.get(String(item[PARTITION_KEY]));
      if (account === undefined) continue;
      const hit = entryFrom(account, item, tagList, limits, now);
      if (hit) hits.set(account, hit);
    }
    return hits;
  }

  /**
   * Stores Tencent's answers, stamped `fetchedAtMs` (when the upstream call started), so their
   * freshness counts from then. An account's requested tags are merged into its item (a tag
   * without a value as absent; tags not requested keep their own stamps), each only where
   * `replaceableBy` (`freshness.ts`) allows: one conditional `UpdateItem` per account and 48 tags,
   * and only when that fails (a webhook or a later fetch got there first: rare) one per tag, so the
   * other tags still land. A 40003 is stored as "not found" under the short TTL unless a later
   * believable one is cached; it hides the tags stamped before it, not those stamped later. Other
   * failures are not cached ({@link cacheableAnswers}). Never throws: after the first DynamoDB
   * failure the rest of the write is dropped and reported; at `deadlineMs` the calls in flight are
   * aborted and the rest dropped, unreported (the caller counts what was dropped). Resolves to the
   * number of answers not known to be stored (an aborted call may still have landed).
   */
  async write(
    sdkAppId: number,
    tags: readonly string[],
    items: readonly UserProfileItem[],
    fetchedAtMs: number,
    deadlineMs?: number,
  ): Promise<number> {
    const tagList = [...new Set(tags)];
    const answers = cacheableAnswers(tagList, items);
    if (answers.length === 0) return 0;
    const timeLeftMs = deadlineMs === undefined ? undefined : deadlineMs - this.#now();
    if (timeLeftMs !== undefined && timeLeftMs <= 0) return answers.length;
    const signal = timeLeftMs === undefined ? undefined : AbortSignal.timeout(timeLeftMs);
    let stored = 0;
    const failure = await untilFirstFailure(answers, this.#writeConcurrency, (item) =>
      this.#writeSlots.run(async () => {
        const key = profileKey(sdkAppId, item.To_Account);
        if (item.ResultCode === 0) {
          const stamped = stampedTags(tagList, item.ProfileItem ?? [], fetchedAtMs);
          await this.#storeValues(key, stamped, fetchedAtMs, signal);
        } else await this.#storeNotFound(key, { at: fetchedAtMs, info: item.ResultInfo }, signal);
        stored += 1;
      }, signal),
    );
    if (failure && !signal?.aborted) this.#onError('write', failure.error);
    return answers.length - stored;
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
   * `eventTimeMs` that far ahead is stored but never served (see `freshness.ts`): the receiver
   * ignores such an event first. Values are stored as given: the caller checks them against their
   * tags.
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
   * At most `writeConcurrency` writes are in flight, with those of `write`, and once `signal` aborts no further one
   * starts; it is only looked at between writes, so a change of many tags adds no listener per
   * write to the caller's signal. Resolves to the number of tags applied or forgotten. Unlike
   * `read`/`write` it throws on a DynamoDB failure (or once `signal` aborted): its caller answers
   * the webhook and reports the failure.
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
    const writes: Array<() => Promise<boolean>> = [
      ...[...latest].map(
        ([tag, value]) =>
          () =>
            this.#applyChange(key, tag, { v: value, at: eventTimeMs }, expiresAt),
      ),
      ...forget
        .filter((tag) => !latest.has(tag))
        .map((tag) => () => this.#forgetOlder(key, tag, eventTimeMs)),
    ];
    let applied = 0;
    const failure = await untilFirstFailure(writes, this.#writeConcurrency, (write) =>
      this.#writeSlots.run(async () => {
        if (await write()) applied += 1;
      }, signal),
    );
    if (failure) throw failure.error;
    return applied;
  }

  /** One slice of keys, with `UnprocessedKeys` retried; a DynamoDB failure reads as no items. */
  async #readSlice(keys: string[]): Promise<StoredItem[]> {
    const items: StoredItem[] = [];
    let pending = keys.map((key) => ({ [PARTITION_KEY]: key }));
    try {
      for (let retry = 0; pending.length > 0; retry += 1) {
        if (retry > 0) {
          if (retry > this.#unprocessedRetries) {
            this.#onError(
              'read',
              new DependencyError(
                'table',
                `DynamoDB left ${pending.length} keys unprocessed after every retry; they were read as cache misses`,
              ),
            );
            break;
          }
          await this.#sleep(jitteredBackoffMs(retry, FIRST_BACKOFF_MS));
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

  #expiresAt(stampMs: number): number {
    return expiresAtSeconds(stampMs, this.#now(), this.#limits);
  }

  /** The names and values of every stamp clause, for a write now. */
  #stampPlaceholders() {
    return stampPlaceholders(believableUntil(this.#now(), this.#limits));
  }

  async #storeValues(
    key: string,
    stamped: ReadonlyArray<[string, CachedTag]>,
    at: number,
    signal: AbortSignal | undefined,
  ) {
    const expiresAt = this.#expiresAt(at);
    for (const group of batchesOf(stamped, TAGS_PER_UPDATE)) {
      if ((await this.#storeTags(key, group, at, expiresAt, signal)) || group.length === 1) continue;
      for (const entry of group) await this.#storeTags(key, [entry], at, expiresAt, signal);
    }
  }

  /** Sets every tag of `entries`, or none when any of them may not be replaced by a write at `at`. */
  #storeTags(
    key: string,
    entries: ReadonlyArray<[string, CachedTag]>,
    at: number,
    expiresAt: number,
    signal: AbortSignal | undefined,
  ) {
    const stamp = this.#stampPlaceholders();
    const names: Record<string, string> = { ...stamp.names, '#exp': TTL_ATTRIBUTE };
    const values: Record<string, unknown> = { ...stamp.values, ':at': at, ':exp': expiresAt };
    const sets: string[] = [];
    const conditions: string[] = [];
    entries.forEach(([tag, cached], index) => {
      names[`#t${index}`] = tagAttribute(tag);
      values[`:t${index}`] = cached;
      sets.push(`#t${index} = :t${index}`);
      conditions.push(absentOrNotNewer(`#t${index}`, ':at'));
    });
    return this.#updateIf(
      {
        TableName: this.#tableName,
        Key: { [PARTITION_KEY]: key },
        UpdateExpression: `SET ${sets.join(', ')}, #exp = :exp`,
        ConditionExpression: allOf(...conditions),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
      signal,
    );
  }

  /** Leaves the item's tags in place: those stamped later than the 40003 still count (see `freshness.ts`). */
  async #storeNotFound(key: string, notFound: CachedNotFound, signal: AbortSignal | undefined) {
    const stamp = this.#stampPlaceholders();
    await this.#updateIf(
      {
        TableName: this.#tableName,
        Key: { [PARTITION_KEY]: key },
        UpdateExpression: 'SET #nf = :nf, #exp = :exp',
        ConditionExpression: absentOrNotNewer('#nf', ':at'),
        ExpressionAttributeNames: { ...stamp.names, '#nf': NOT_FOUND, '#exp': TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ...stamp.values,
          ':nf': notFound,
          ':at': notFound.at,
          ':exp': this.#expiresAt(notFound.at),
        },
      },
      signal,
    );
  }

  #applyChange(key: string, tag: string, cached: CachedTag, expiresAt: number): Promise<boolean> {
    const stamp = this.#stampPlaceholders();
    return this.#updateIf({
      TableName: this.#tableName,
      Key: { [PARTITION_KEY]: key },
      UpdateExpression: 'SET #t = :t, #exp = :exp',
      ConditionExpression: allOf(
        itemExists('#pk'),
        absentOrOlder('#t', ':event'),
        absentOrNotNewer('#nf', ':event'),
      ),
      ExpressionAttributeNames: {
        ...stamp.names,
        '#pk': PARTITION_KEY,
        '#t': tagAttribute(tag),
        '#nf': NOT_FOUND,
        '#exp': TTL_ATTRIBUTE,
      },
      ExpressionAttributeValues: { ...stamp.values, ':t': cached, ':exp': expiresAt, ':event': cached.at },
    });
  }

  /** Removes a cached tag stamped before `eventTimeMs`; false when there was none. */
  #forgetOlder(key: string, tag: string, eventTimeMs: number): Promise<boolean> {
    const stamp = this.#stampPlaceholders();
    return this.#updateIf({
      TableName: this.#tableName,
      Key: { [PARTITION_KEY]: key },
      UpdateExpression: 'REMOVE #t',
      ConditionExpression: allOf(itemExists('#pk'), presentAndOlder('#t', ':event')),
      ExpressionAttributeNames: { ...stamp.names, '#pk': PARTITION_KEY, '#t': tagAttribute(tag) },
      ExpressionAttributeValues: { ...stamp.values, ':event': eventTimeMs },
    });
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
