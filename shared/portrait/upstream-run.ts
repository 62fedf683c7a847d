import {
  DependencyError,
  type GatewayError,
  InvalidRequestError,
  NoSlotError,
  TencentApiError,
  TencentError,
} from '../errors.ts';
import { ruleFor } from '../tencent/error-codes.ts';
import type { UserProfileItem } from '../tencent/portrait-types.ts';
import type { ServeStats } from './portrait-result.ts';
import type { CallSlots, PortraitClient, RateLimiter, Slot } from './ports.ts';
import { asTransient } from './tag-refusals.ts';
import { UNRESOLVED_CODE, UNRESOLVED_INFO, UnknownAccountSearch } from './unknown-account-search.ts';

/** What an upstream run needs of the service's dependencies (`PortraitServiceDeps`, defaults applied). */
export interface UpstreamRunDeps {
  client: PortraitClient;
  limiter: RateLimiter;
  concurrency: number;
  maxAttempts: number;
  backoffMs: number;
  minCallMs: number;
  isolationCalls: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
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

/** The upstream part of one request: waves of calls, each call under its own slot of the request's place in line. */
export class UpstreamRun {
  #credentialRefresh: Promise<void> | undefined;
  readonly #deps: UpstreamRunDeps;
  readonly #sdkAppId: number;
  readonly #tags: string[];
  readonly #deadlineMs: number;
  readonly #stats: ServeStats;
  /** Told each account's final answer as soon as it is had. */
  readonly #keepAnswer: (item: UserProfileItem) => void;

  constructor(
    deps: UpstreamRunDeps,
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
