import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULTS } from '../config.ts';
import {
  DependencyError,
  type GatewayError,
  InvalidRequestError,
  NoSlotError,
  TENCENT_LOCKOUT_MS,
  TencentApiError,
  TencentError,
  UpstreamLockedError,
} from '../errors.ts';
import { ruleFor } from '../tencent/error-codes.ts';
import type { UserProfileItem } from '../tencent/portrait-types.ts';
import { chunk, uniqueInOrder } from './chunking.ts';
import { replyFor } from './merge.ts';
import type { GetOptions, PortraitResult, ServeStats } from './portrait-result.ts';
import type { CachePolicy, CallSlots, PortraitClient, ProfileCache, RateLimiter, Slot } from './ports.ts';
import { planRead } from './read-plan.ts';
import { awaitFlights, type Lead, SingleFlight } from './single-flight.ts';
import { fallbackFor } from './stale-if-error.ts';
import { asTransient, TagRefusals } from './tag-refusals.ts';
import { UNRESOLVED_CODE, UNRESOLVED_INFO, UnknownAccountSearch } from './unknown-account-search.ts';

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

/** One upstream call still to make. */
interface Task {
  accounts: string[];
  /** Failed attempts so far for transient reasons. */
  attempt: number;
  /** This task already retried its per-account 40006 failures once. */
  accountRetry: boolean;
  /** This task already retried after the credentials were renewed or reloaded. */
  afterRefresh: boolean;
  /** Why the previous attempt failed: the answer if no further attempt fits the deadline. */
  lastError?: GatewayError;
  /** The isolation of unknown accounts this call is part of. */
  search?: UnknownAccountSearch;
}

type Outcome = { next: Task[]; delayMs: number } | { error: GatewayError };

const lastErrorOf = (tasks: readonly Task[]): GatewayError | undefined =>
  tasks.find((task) => task.lastError)?.lastError;

/** Why no slot was had: the schedule is down (503), or the last upstream error, or the ceiling (429). */
function noSlot(slot: Slot & { granted: false }, tasks: readonly Task[]): GatewayError {
  if (slot.unavailable) {
    return new DependencyError('table', 'the rate-limit schedule could not be reached; no call was made', {
      retryAfterMs: slot.retryAfterMs,
    });
  }
  return lastErrorOf(tasks) ?? new NoSlotError(slot.retryAfterMs);
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

/** The upstream part of one request: waves of calls, each call under its own slot of the request's place in line. */
class UpstreamRun {
  #credentialRefresh: Promise<void> | undefined;
  readonly #deps: Required<PortraitServiceDeps>;
  readonly #sdkAppId: number;
  readonly #tags: string[];
  readonly #deadlineMs: number;
  readonly #stats: ServeStats;
  /** Told each account's final answer as soon as it is had. */
  readonly #keepAnswer: (item: UserProfileItem) => void;

  constructor(
    deps: Required<PortraitServiceDeps>,
    sdkAppId: number,
    tags: string[],
    deadlineMs: number,
    stats: ServeStats,
    keepAnswer: (item: UserProfileItem) => void,
  ) {
    this.#deps = deps;
    this.#sdkAppId = sdkAppId;
    this.#tags = tags;
    this.#deadlineMs = deadlineMs;
    this.#stats = stats;
    this.#keepAnswer = keepAnswer;
  }

  async run(chunks: string[][]): Promise<void> {
    const { limiter, minCallMs } = this.#deps;
    const slots = limiter.join(this.#sdkAppId, chunks.length, this.#deadlineMs - minCallMs);
    try {
      await this.#waves(chunks, slots);
    } finally {
      slots.close();
    }
  }

  /** Calls in waves of at most `concurrency`, each call when its own slot comes (they are T apart). */
  async #waves(chunks: string[][], slots: CallSlots): Promise<void> {
    const { concurrency, minCallMs, now, sleep } = this.#deps;
    const slotDeadlineMs = this.#deadlineMs - minCallMs;
    let pending: Task[] = chunks.map((accounts) => ({
      accounts,
      attempt: 0,
      accountRetry: false,
      afterRefresh: false,
    }));
    while (pending.length > 0) {
      await this.#deps.client.ready();
      const wave = pending.slice(0, concurrency);
      pending = pending.slice(concurrency);
      const waitStart = now();
      let waitedMs = 0;
      let denied = false;
      const outcomes = await Promise.all(
        wave.map(async (task): Promise<Outcome> => {
          const slot = await slots.next();
          waitedMs = Math.max(waitedMs, now() - waitStart);
          if (slot.granted) return this.#attempt(task);
          denied = true;
          return { error: noSlot(slot, [task, ...pending]) };
        }),
      );
      this.#stats.slotWaitMs += waitedMs;
      if (denied) this.#stats.slotDenied += 1;
      let delayMs = 0;
      for (const outcome of outcomes) {
        if ('error' in outcome) throw outcome.error;
        pending.push(...outcome.next);
        delayMs = Math.max(delayMs, outcome.delayMs);
      }
      if (delayMs > 0) {
        // A backoff that ends past the last moment a slot may be asked for would be waited in vain.
        if (now() + delayMs >= slotDeadlineMs) throw lastErrorOf(pending) ?? new NoSlotError(delayMs);
        await sleep(delayMs);
      }
    }
  }

  async #attempt(task: Task): Promise<Outcome> {
    const { client, now } = this.#deps;
    const signal = AbortSignal.timeout(Math.max(1, this.#deadlineMs - now()));
    try {
      const reply = await client.portraitGet(task.accounts, this.#tags, signal);
      this.#stats.upstreamCalls += 1;
      const next = this.#keep(task, reply.UserProfileItem ?? []);
      task.search?.record('answered');
      return { next: [...next, ...this.#searchOn(task)], delayMs: 0 };
    } catch (thrown) {
      if (thrown instanceof InvalidRequestError || !(thrown instanceof TencentError)) throw thrown;
      const error = asTransient(thrown, this.#tags) as TencentError;
      this.#stats.upstreamCalls += 1;
      this.#stats.upstreamErrors[error.code] = (this.#stats.upstreamErrors[error.code] ?? 0) + 1;
      return this.#recover(task, error);
    }
  }

  /** Keeps final per-account answers; accounts that failed transiently are retried once. */
  #keep(task: Task, items: readonly UserProfileItem[]): Task[] {
    const retry: string[] = [];
    for (const item of items) {
      const transient = item.ResultCode !== 0 && ruleFor(item.ResultCode).disposition === 'retry';
      if (transient && !task.accountRetry) retry.push(item.To_Account);
      else this.#keepAnswer(item);
    }
    return retry.length > 0
      ? [{ accounts: retry, attempt: 0, accountRetry: true, afterRefresh: task.afterRefresh }]
      : [];
  }

  async #recover(task: Task, error: GatewayError): Promise<Outcome> {
    switch (error.disposition) {
      case 'retry':
      case 'rate-limited': {
        if (task.attempt + 1 >= this.#deps.maxAttempts) return { error };
        const next = { ...task, attempt: task.attempt + 1, lastError: error };
        const base = error.disposition === 'rate-limited' ? this.#deps.backoffMs * 4 : this.#deps.backoffMs;
        return { next: [next], delayMs: base * 2 ** task.attempt };
      }
      case 'resign':
      case 'reload-credentials': {
        if (task.afterRefresh) return { error };
        await this.#refreshCredentials(error.disposition);
        return { next: [{ ...task, afterRefresh: true }], delayMs: 0 };
      }
      case 'account-failure':
        return { next: this.#isolate(task, error), delayMs: 0 };
      default:
        return { error };
    }
  }

  /**
   * A whole call refused with 40003 (docs/cache.md, "Unknown accounts"): an account asked alone is
   * answered as not found; the unknown accounts of a larger call are searched for within a bound.
   */
  #isolate(task: Task, error: GatewayError): Task[] {
    if (task.accounts.length === 1) {
      const [account] = task.accounts as [string];
      this.#keepAnswer({
        To_Account: account,
        ResultCode: error.code,
        ResultInfo: error instanceof TencentApiError ? error.errorInfo : '',
      });
    }
    task.search?.record('refused');
    const search =
      task.search ??
      (task.accounts.length > 1
        ? new UnknownAccountSearch(task.accounts, this.#deps.isolationCalls)
        : undefined);
    return this.#searchOn({ ...task, search });
  }

  /** The next call of the search `task` is part of; once it is over, its unresolved accounts are answered as such. */
  #searchOn(task: Task): Task[] {
    const search = task.search;
    if (search === undefined) return [];
    const accounts = search.next();
    if (accounts !== undefined)
      return [{ accounts, attempt: 0, accountRetry: false, afterRefresh: task.afterRefresh, search }];
    for (const account of search.unresolved()) {
      this.#keepAnswer({ To_Account: account, ResultCode: UNRESOLVED_CODE, ResultInfo: UNRESOLVED_INFO });
    }
    return [];
  }

  /** One renewal per request, shared by every call that failed on the UserSig in the same wave. */
  #refreshCredentials(kind: 'resign' | 'reload-credentials'): Promise<void> {
    this.#credentialRefresh ??=
      kind === 'resign' ? this.#deps.client.renewUserSig() : this.#deps.client.reloadCredentials();
    return this.#credentialRefresh;
  }
}
