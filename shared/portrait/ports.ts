import type { TencentCredentials } from '../tencent/credentials.ts';
import type { PortraitGetResponse, UserProfileItem } from '../tencent/portrait-types.ts';

/**
 * The ports of the domain (docs/architecture.md, "Layers"). Each has one real adapter over
 * loopback-testable parts: DynamoDB (cache, limiter), Tencent's REST API (client), Secrets Manager
 * (credentials); `test/support/` holds in-memory ones for the fast unit layer.
 */

/** Where credentials come from: a static set (local) or Secrets Manager (cloud). */
export interface CredentialsProvider {
  /** The current credentials, from a cache when it is fresh. */
  get(): Promise<TencentCredentials>;
  /** Reads the source again, bypassing any cache (after a signature error: the key may have rotated). */
  refresh(): Promise<TencentCredentials>;
}

/** One upstream attempt of portrait_get; resolves only when Tencent answered `ActionStatus: OK`. */
export interface PortraitClient {
  /** Exactly one attempt; throws a `GatewayError` (a `TencentError` for Tencent's failures) otherwise. `signal` bounds the whole call. */
  portraitGet(
    accounts: readonly string[],
    tags: readonly string[],
    signal?: AbortSignal,
  ): Promise<PortraitGetResponse>;
  /** Sign a fresh UserSig before the next attempt (70001/70052). */
  renewUserSig(): Promise<void>;
  /** Re-read the credentials, then sign anew (70002/70003/70005/70009: the key may have rotated). */
  reloadCredentials(): Promise<void>;
  /** The SDKAppID the client currently signs for: the cache and limiter keys are scoped to it. */
  sdkAppId(): Promise<number>;
  /**
   * Resolves the credentials and UserSig the next call will use (reading the secret if its cache
   * expired), so that no I/O stands between a slot's grant and its call.
   */
  ready(): Promise<void>;
}

/** How fresh a cached value must be to count as a hit. */
export type CacheMode =
  /** The configured TTL decides (the default). */
  | { mode: 'default' }
  /** Skip the cache read (`Cache-Control: no-cache`); fresh answers are still written. */
  | { mode: 'no-cache' }
  /** Neither read nor write the cache (`Cache-Control: no-store`). */
  | { mode: 'no-store' }
  /** Accept values fetched at most this many seconds ago (`Cache-Control: max-age=N`). */
  | { mode: 'max-age'; maxAgeSeconds: number };

/**
 * A request's cache policy: its mode, and how long past its freshness a cached value may still
 * answer when Tencent cannot (`Cache-Control: stale-if-error=N`, RFC 5861; 0: never). Without it the
 * configured window applies (docs/cache.md, "Stale-if-error").
 */
export type CachePolicy = CacheMode & { staleIfErrorSeconds?: number };

/** One account as the cache holds it for a request's tags. */
export interface CacheEntry {
  /** Tencent-shaped: tags in requested order, absent tags omitted; or a 40003 for "not found". */
  item: UserProfileItem;
  /**
   * How much longer the entry stays fresh (ms). Zero or less: stale by that much, but within the
   * request's stale-if-error window, so it may answer only when Tencent cannot.
   */
  freshForMs: number;
}

export interface ProfileCache {
  /**
   * The accounts whose every requested tag is cached and fresh, or stale within the policy's
   * stale-if-error window, or whose "not found" is (docs/cache.md, "Freshness"). Never throws: a
   * DynamoDB failure reads as all misses.
   */
  read(
    sdkAppId: number,
    accounts: readonly string[],
    tags: readonly string[],
    policy: CachePolicy,
  ): Promise<Map<string, CacheEntry>>;
  /**
   * Stores what Tencent answered for these accounts and tags: values (merged into what the item
   * held), tags with no value as absent, 40003 as "not found" with the short TTL; other failures are
   * not cached. Values are stamped with `fetchedAtMs`, when the upstream call was started, and never
   * replace a value stamped later (a webhook's change that landed while the call was in flight).
   * Nothing is stored after `deadlineMs` (epoch ms; default: no deadline): what is unfinished then
   * is dropped, so the answer is never late for its cache write. Never throws; resolves to the
   * number of answers not known to be stored: not started by the deadline, cut short by it (such a
   * call may still have landed), or lost to a DynamoDB failure.
   */
  write(
    sdkAppId: number,
    tags: readonly string[],
    items: readonly UserProfileItem[],
    fetchedAtMs: number,
    deadlineMs?: number,
  ): Promise<number>;
}

/** One call slot: granted (start the call now), or refused and why. */
export type Slot =
  | { granted: true }
  /** No slot before the deadline; `unavailable` when the shared schedule itself could not be reached. */
  | { granted: false; retryAfterMs: number; unavailable?: boolean };

/** One request's place in the line for call slots (docs/rate-limit.md, "First come, first served"). */
export interface CallSlots {
  /**
   * Waits for the request's next call slot and resolves when the call may start. Each attempt,
   * a retry included, takes its own. Refused when no slot comes before the deadline, when the line
   * ahead left no room for the request (then before it spent any), and when the shared schedule
   * cannot be reached (fails closed).
   */
  next(): Promise<Slot>;
  /** Leaves the line: the request makes no further calls. */
  close(): void;
}

export interface RateLimiter {
  /**
   * A place in the line for a request that will make `calls` upstream calls (retries may add
   * some), each to start by `deadlineMs` (epoch ms), behind the requests already waiting.
   */
  join(sdkAppId: number, calls: number, deadlineMs: number): CallSlots;
}
