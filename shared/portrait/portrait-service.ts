import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULTS } from '../config.ts';
import { TENCENT_LOCKOUT_MS, TencentError, UpstreamLockedError } from '../errors.ts';
import type { UserProfileItem } from '../tencent/portrait-types.ts';
import { chunk, uniqueInOrder } from './chunking.ts';
import { replyFor } from './merge.ts';
import type { GetOptions, PortraitResult, ServeStats } from './portrait-result.ts';
import type { CachePolicy, PortraitClient, ProfileCache, RateLimiter } from './ports.ts';
import { planRead } from './read-plan.ts';
import { awaitFlights, type Lead, SingleFlight } from './single-flight.ts';
import { fallbackFor } from './stale-if-error.ts';
import { TagRefusals } from './tag-refusals.ts';
import { UpstreamRun } from './upstream-run.ts';

export interface PortraitServiceDeps {
  client: PortraitClient;
  cache: ProfileCache;
  limiter: RateLimiter;
  /** Upstream calls in flight per request. Default 10: a 1000-account request is one wave. */
  concurrency?: number;
  /** Attempts per chunk for transient failures (each takes its own slot). Default 3. */
  maxAttempts?: number;
  /** First backoff after a transient failure, doubled per attempt. Default 50 ms. */
  backoffMs?: number;
  /**
   * The least time a call needs: no slot is taken when less is left before the deadline, since a
   * call aborted at once would waste its slot. Default 150 ms.
   */
  minCallMs?: number;
  /**
   * XFetch's δ·β for the early refresh of fresh entries (`early-refresh.ts`); 0 turns it off.
   * Default `DEFAULTS.earlyRefreshMs` (`EARLY_REFRESH_MS`).
   */
  earlyRefreshMs?: number;
  /**
   * Calls one whole-call 40003 may cost in all, the refused call included, while its unknown
   * accounts are isolated (`unknown-account-search.ts`). Default 20.
   */
  isolationCalls?: number;
  /** Uniform draws in [0, 1) for the early refresh. Default `Math.random`. */
  random?: () => number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** What fetching a request's accounts came to: the answers had, and the first failure, if any. */
interface Fetched {
  answers: Map<string, UserProfileItem>;
  error?: unknown;
}

/**
 * Serves portrait_get from the cache where it can and from Tencent where it must
 * (docs/architecture.md, "Layers"), every upstream attempt under a call slot of the shared ceiling.
 * Fresh entries answer, save the few an early refresh picks; concurrent fetches of one account
 * share one call (single flight); when Tencent cannot answer, stale entries do (stale-if-error).
 * docs/cache.md tells each.
 */
export class PortraitService {
  readonly #deps: Required<PortraitServiceDeps>;
  /** Until when Tencent refuses this app's calls (70050); this instance makes none before then. */
  #lockedUntilMs = 0;
  readonly #tagRefusals = new TagRefusals();
  readonly #flights = new SingleFlight();

  constructor(deps: PortraitServiceDeps) {
    this.#deps = {
      concurrency: 10,
      maxAttempts: 3,
      backoffMs: 50,
      minCallMs: 150,
      earlyRefreshMs: DEFAULTS.earlyRefreshMs,
      isolationCalls: 20,
      random: Math.random,
      now: Date.now,
      sleep,
      ...deps,
    };
  }

  /** Accounts this process is fetching or storing for some request, that others may wait for. */
  get inFlight(): number {
    return this.#flights.size;
  }

  /**
   * Profiles of `accounts` (validated by the caller) for `tags`. Throws a {@link GatewayError}
   * when the request cannot be answered whole, and the cache cannot stand in for what Tencent did
   * not answer; what was fetched is cached all the same.
   */
  async get(
    accounts: readonly string[],
    tags: readonly string[],
    options: GetOptions,
  ): Promise<PortraitResult> {
    const unique = uniqueInOrder(accounts);
    const tagList = uniqueInOrder(tags);
    const stats: ServeStats = {
      accounts: unique.length,
      cacheHits: 0,
      cacheMisses: 0,
      upstreamCalls: 0,
      upstreamErrors: {},
      slotWaitMs: 0,
      slotDenied: 0,
      staleServed: 0,
      earlyRefreshes: 0,
      flightsJoined: 0,
      cacheWritesDropped: 0,
    };
    try {
      return { ...(await this.#serve(unique, tagList, options, stats)), stats };
    } finally {
      options.onStats?.(stats);
    }
  }

  async #serve(
    unique: string[],
    tagList: string[],
    options: GetOptions,
    stats: ServeStats,
  ): Promise<Omit<PortraitResult, 'stats'>> {
    const { client, cache, earlyRefreshMs, random } = this.#deps;
    const policy = options.cache ?? { mode: 'default' };
    const sdkAppId = await client.sdkAppId();
    const entries = await cache.read(sdkAppId, unique, tagList, policy);
    const plan = planRead(unique, entries, earlyRefreshMs, random);
    stats.cacheHits = plan.hits.size;
    stats.cacheMisses = plan.fetch.length;
    stats.earlyRefreshes = plan.earlyRefreshes;
    const { answers, error } =
      plan.fetch.length === 0
        ? { answers: new Map<string, UserProfileItem>() }
        : await this.#fetch(sdkAppId, tagList, plan.fetch, policy, options.deadlineMs, stats);
    const known = new Map([...plan.hits, ...answers]);
    if (error === undefined) return { response: replyFor(unique, known), stale: [] };

    const failed = plan.fetch.filter((account) => !answers.has(account));
    const fallback = fallbackFor(failed, plan.fallback, error);
    if (fallback === undefined) throw error;
    stats.staleServed = fallback.stale.length;
    return {
      response: replyFor(unique, new Map([...known, ...fallback.answers])),
      stale: fallback.stale,
      ...(fallback.failure && { failure: fallback.failure }),
    };
  }

  /**
   * Fetches `accounts` from Tencent, sharing the flights of concurrent requests (never for
   * `no-store`, and `no-cache` leads its own), and stores what it fetched within the deadline.
   * Never throws: a failure comes back with the answers had before it.
   */
  async #fetch(
    sdkAppId: number,
    tags: string[],
    accounts: string[],
    policy: CachePolicy,
    deadlineMs: number,
    stats: ServeStats,
  ): Promise<Fetched> {
    const { now } = this.#deps;
    const lockedForMs = this.#lockedUntilMs - now();
    if (lockedForMs > 0) return { answers: new Map(), error: new UpstreamLockedError(lockedForMs) };
    const refused = this.#tagRefusals.check(sdkAppId, tags, now());
    if (refused) return { answers: new Map(), error: refused };

    const { joined, lead } = this.#flights.claim(sdkAppId, tags, accounts, {
      join: policy.mode === 'default' || policy.mode === 'max-age',
      share: policy.mode !== 'no-store',
    });
    stats.flightsJoined = joined.size;
    const [own, shared] = await Promise.all([
      this.#fetchLed(sdkAppId, tags, lead, policy, deadlineMs, stats),
      awaitFlights(joined, deadlineMs, now),
    ]);
    return { answers: new Map([...own.answers, ...shared.answers]), error: own.error ?? shared.error };
  }

  /** The upstream run for the accounts this request leads, then their cache write. */
  async #fetchLed(
    sdkAppId: number,
    tags: string[],
    lead: Lead,
    policy: CachePolicy,
    deadlineMs: number,
    stats: ServeStats,
  ): Promise<Fetched> {
    const { cache, now } = this.#deps;
    const answers = new Map<string, UserProfileItem>();
    if (lead.accounts.length === 0) return { answers };
    const fetchedAtMs = now();
    let error: unknown;
    try {
      const keep = (item: UserProfileItem) => {
        answers.set(item.To_Account, item);
        lead.answer(item);
      };
      await new UpstreamRun(this.#deps, sdkAppId, tags, deadlineMs, stats, keep).run(chunk(lead.accounts));
    } catch (failure) {
      error = failure;
      if (failure instanceof TencentError && failure.disposition === 'wait-minute') {
        this.#lockedUntilMs = now() + TENCENT_LOCKOUT_MS;
      }
      this.#tagRefusals.remember(sdkAppId, tags, failure, now());
    }
    lead.end(error);
    try {
      if (policy.mode !== 'no-store' && answers.size > 0) {
        stats.cacheWritesDropped = await cache.write(
          sdkAppId,
          tags,
          [...answers.values()],
          fetchedAtMs,
          deadlineMs,
        );
      }
    } finally {
      lead.release();
    }
    return { answers, ...(error !== undefined && { error }) };
  }
}
