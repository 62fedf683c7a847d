import { setTimeout as sleep } from 'node:timers/promises';
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
import type { PortraitGetResponse, UserProfileItem } from '../tencent/portrait-types.ts';
import { chunk, uniqueInOrder } from './chunking.ts';
import { replyFor } from './merge.ts';
import type { GetOptions, PortraitResult, ServeStats } from './portrait-result.ts';
import type { CallSlots, PortraitClient, ProfileCache, RateLimiter, Slot } from './ports.ts';
import { TagRefusals } from './tag-refusals.ts';

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
}

type Outcome = { next: Task[]; delayMs: number } | { error: GatewayError };

const lastErrorOf = (tasks: readonly Task[]): GatewayError | undefined =>
  tasks.find((task) => task.lastError)?.lastError;

/** Why no slot was had: the schedule is down (503), or the last upstream error, or the ceiling (429). */
function noSlot(slot: Slot & { granted: false }, tasks: readonly Task[]): GatewayError {
  if (slot.unavailable) {
    return new DependencyError('table', 'the rate-limit schedule could not be reached; no call was made');
  }
  return lastErrorOf(tasks) ?? new NoSlotError(slot.retryAfterMs);
}

/**
 * Serves portrait_get from the cache where it can and from Tencent where it must (DESIGN.md §3),
 * every upstream attempt under a call slot of the shared ceiling.
 */
export class PortraitService {
  readonly #deps: Required<PortraitServiceDeps>;
  /** Until when Tencent refuses this app's calls (70050); this instance makes none before then. */
  #lockedUntilMs = 0;
  readonly #tagRefusals = new TagRefusals();

  constructor(deps: PortraitServiceDeps) {
    this.#deps = {
      concurrency: 10,
      maxAttempts: 3,
      backoffMs: 50,
      minCallMs: 150,
      now: Date.now,
      sleep,
      ...deps,
    };
  }

  /**
   * Profiles of `accounts` (validated by the caller) for `tags`. Throws a {@link GatewayError}
   * when the request cannot be answered whole; what was fetched is cached all the same.
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
    };
    try {
      return { response: await this.#serve(unique, tagList, options, stats), stats };
    } finally {
      options.onStats?.(stats);
    }
  }

  async #serve(
    unique: string[],
    tagList: string[],
    options: GetOptions,
    stats: ServeStats,
  ): Promise<PortraitGetResponse> {
    const { client, cache, now } = this.#deps;
    const policy = options.cache ?? { mode: 'default' };
    const store = policy.mode !== 'no-store';
    const sdkAppId = await client.sdkAppId();
    const cached = await cache.read(sdkAppId, unique, tagList, policy);
    const misses = unique.filter((account) => !cached.has(account));
    stats.cacheHits = unique.length - misses.length;
    stats.cacheMisses = misses.length;

    const fetched = new Map<string, UserProfileItem>();
    if (misses.length > 0) {
      const lockedForMs = this.#lockedUntilMs - now();
      if (lockedForMs > 0) throw new UpstreamLockedError(lockedForMs);
      const refused = this.#tagRefusals.check(sdkAppId, tagList, now());
      if (refused) throw refused;
      const fetchedAtMs = now();
      try {
        await new UpstreamRun(this.#deps, sdkAppId, tagList, options.deadlineMs, stats, fetched).run(
          chunk(misses),
        );
      } catch (error) {
        if (error instanceof TencentError && error.disposition === 'wait-minute') {
          this.#lockedUntilMs = now() + TENCENT_LOCKOUT_MS;
        }
        this.#tagRefusals.remember(sdkAppId, tagList, error, now());
        throw error;
      } finally {
        if (store) await cache.write(sdkAppId, tagList, [...fetched.values()], fetchedAtMs);
      }
    }
    return replyFor(unique, new Map([...cached, ...fetched]));
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
  readonly #fetched: Map<string, UserProfileItem>;

  constructor(
    deps: Required<PortraitServiceDeps>,
    sdkAppId: number,
    tags: string[],
    deadlineMs: number,
    stats: ServeStats,
    fetched: Map<string, UserProfileItem>,
  ) {
    this.#deps = deps;
    this.#sdkAppId = sdkAppId;
    this.#tags = tags;
    this.#deadlineMs = deadlineMs;
    this.#stats = stats;
    this.#fetched = fetched;
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
      return { next: this.#keep(task, reply.UserProfileItem ?? []), delayMs: 0 };
    } catch (error) {
      if (error instanceof InvalidRequestError || !(error instanceof TencentError)) throw error;
      this.#stats.upstreamCalls += 1;
      this.#stats.upstreamErrors[error.code] = (this.#stats.upstreamErrors[error.code] ?? 0) + 1;
      return this.#recover(task, error);
    }
  }

  /** Stores final per-account answers; accounts that failed transiently are retried once. */
  #keep(task: Task, items: readonly UserProfileItem[]): Task[] {
    const retry: string[] = [];
    for (const item of items) {
      const transient = item.ResultCode !== 0 && ruleFor(item.ResultCode).disposition === 'retry';
      if (transient && !task.accountRetry) retry.push(item.To_Account);
      else this.#fetched.set(item.To_Account, item);
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
   * Whether Tencent fails a whole call for one unknown account is undocumented: a lone account is
   * answered as not found, a larger chunk is halved until the unknown accounts stand alone.
   */
  #isolate(task: Task, error: GatewayError): Task[] {
    if (task.accounts.length === 1) {
      const [account] = task.accounts as [string];
      this.#fetched.set(account, {
        To_Account: account,
        ResultCode: error.code,
        ResultInfo: error instanceof TencentApiError ? error.errorInfo : '',
      });
      return [];
    }
    const half = Math.ceil(task.accounts.length / 2);
    return [task.accounts.slice(0, half), task.accounts.slice(half)].map((accounts) => ({
      ...task,
      accounts,
    }));
  }

  /** One renewal per request, shared by every call that failed on the UserSig in the same wave. */
  #refreshCredentials(kind: 'resign' | 'reload-credentials'): Promise<void> {
    this.#credentialRefresh ??=
      kind === 'resign' ? this.#deps.client.renewUserSig() : this.#deps.client.reloadCredentials();
    return this.#credentialRefresh;
  }
}
