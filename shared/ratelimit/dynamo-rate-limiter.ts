import { setTimeout as sleep } from 'node:timers/promises';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RateLimiter, SlotGrant } from '../portrait/ports.ts';
import { PARTITION_KEY, TTL_ATTRIBUTE } from '../table-definition.ts';
import {
  DEFAULT_MARGIN_MS,
  DEFAULT_MARGIN_PARTS,
  planWindow,
  type WindowBudget,
  windowBudget,
} from './window-budget.ts';

export interface RateLimiterOptions {
  /** Built by `createDynamoDbClients`, with its short timeouts. */
  client: DynamoDBDocumentClient;
  tableName: string;
  /** L: the upstream's calls per second (`RATE_LIMIT_PER_SECOND`). */
  ceilingPerSecond: number;
  /** Clock skew, late-grant allowance and arrival jitter tolerated together. Default {@link DEFAULT_MARGIN_MS}. */
  marginMs?: number;
  /**
   * How long after its window ended a grant may come back and still be handed out; part of the
   * margin. Default `DEFAULT_MARGIN_PARTS.lateGrantMs` (20 ms).
   */
  lateGrantMs?: number;
  /** Default: the best window for the ceiling and margin ({@link planWindow}). */
  windowMs?: number;
  /** Epoch ms; deadlines are on this clock. Default `Date.now`. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told about each DynamoDB failure; the attempt then grants nothing. Default: ignore. */
  onError?: (error: unknown) => void;
}

/** What a failing table is answered with: no slot, and a hint to come back in a second. */
export const FAIL_CLOSED_RETRY_MS = 1000;

/** Window items outlive their window by a minute: DynamoDB's TTL only collects garbage. */
const WINDOW_ITEM_LIFETIME_MS = 60_000;
/** The window item's counter of slots taken. */
export const COUNTER_ATTRIBUTE = 'n';

/** What this instance knows of one window of one app. */
interface WindowState {
  endMs: number;
  /** Slots known taken (by anyone): a lower bound of the shared counter. */
  used: number;
}

/** An acquire not yet answered. */
interface Waiter {
  sdkAppId: number;
  wanted: number;
  deadlineMs: number;
  resolve: (grant: SlotGrant) => void;
}

/** The partition key of one app's counter for the window starting at `windowStartMs`. */
export const rateWindowKey = (sdkAppId: number, windowStartMs: number): string =>
  `r#${sdkAppId}#${windowStartMs}`;

/**
 * Call slots under a ceiling shared by every instance (DESIGN.md §5): a counter per fixed window
 * in DynamoDB, raised by one conditional `UpdateItem ADD` per grant and capped at the window's
 * budget ({@link windowBudget}), so no sliding second exceeds the ceiling while clocks and
 * arrivals stay within the margin. A window this instance saw full is not written again; slots
 * not used in their window are lost. Grants are returned only while their window lasts (or
 * `lateGrantMs` after): use them at once. A DynamoDB failure grants nothing (fail closed): the
 * ceiling is a promise to Tencent.
 */
export class DynamoRateLimiter implements RateLimiter {
  /** The numbers this limiter keeps to. */
  readonly budget: WindowBudget;
  readonly #lateGrantMs: number;
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #onError: (error: unknown) => void;
  readonly #windows = new Map<string, WindowState>();
  #waiting: Waiter[] = [];
  #pumping = false;

  constructor(options: RateLimiterOptions) {
    const marginMs = options.marginMs ?? DEFAULT_MARGIN_MS;
    this.budget =
      options.windowMs === undefined
        ? planWindow(options.ceilingPerSecond, marginMs)
        : windowBudget(options.ceilingPerSecond, options.windowMs, marginMs);
    if (this.budget.budgetPerWindow < 1)
      throw new RangeError(
        `windows of ${this.budget.windowMs} ms leave no slot per window under ${options.ceilingPerSecond}/s`,
      );
    this.#lateGrantMs = options.lateGrantMs ?? DEFAULT_MARGIN_PARTS.lateGrantMs;
    if (!(this.#lateGrantMs >= 0 && this.#lateGrantMs <= marginMs))
      throw new RangeError(
        `lateGrantMs must lie within the margin of ${marginMs} ms, got ${this.#lateGrantMs}`,
      );
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? sleep;
    this.#onError = options.onError ?? (() => {});
  }

  /**
   * Up to `wanted` slots (at most one window's budget) from the current window; when it is full,
   * waits for the next one while that starts before `deadlineMs`, else answers `granted: 0` with
   * the time until the next window.
   */
  async acquire(sdkAppId: number, wanted: number, deadlineMs: number): Promise<SlotGrant> {
    if (!Number.isInteger(wanted) || wanted < 1)
      throw new RangeError(`wanted must be a positive whole number of slots, got ${wanted}`);
    return new Promise((resolve) => {
      this.#waiting.push({ sdkAppId, wanted, deadlineMs, resolve });
      void this.#pump();
    });
  }

  /**
   * Serves the waiting acquires of this instance together: one conditional write asks for all
   * that one app's waiters want, and the grant is shared out first come, first served. Concurrent
   * requests of one instance thus cost one write per window, and the grant comes back while its
   * window still lasts instead of queueing behind its neighbours' writes.
   */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#waiting.length > 0) {
        const sleepMs = await this.#serveOneApp();
        if (sleepMs > 0) await this.#sleep(sleepMs);
      }
    } catch (error) {
      // Nothing here is expected to throw; if something does, no waiter may hang and no rejection
      // may go unhandled (it would end the Lambda process): everyone waiting is told "no slot".
      this.#report(error);
      this.#settle(
        () => true,
        () => ({ granted: 0, retryAfterMs: FAIL_CLOSED_RETRY_MS, unavailable: true }),
      );
    } finally {
      this.#pumping = false;
    }
  }

  /** Tells `onError`, which must not be able to break the limiter (it logs and counts). */
  #report(error: unknown): void {
    try {
      this.#onError(error);
    } catch {
      // A failing logger must not leave waiters without an answer.
    }
  }

  /** One look at the current window for the first waiter's app; how long to sleep before the next. */
  async #serveOneApp(): Promise<number> {
    const { windowMs } = this.budget;
    const now = this.#now();
    const startMs = Math.floor(now / windowMs) * windowMs;
    const endMs = startMs + windowMs;
    const noSlot = (at: number): SlotGrant => ({
      granted: 0,
      retryAfterMs: Math.max(1, Math.ceil(endMs - at)),
    });
    this.#settle(
      (w) => now >= w.deadlineMs,
      () => noSlot(now),
    );
    const sdkAppId = this.#waiting[0]?.sdkAppId;
    if (sdkAppId === undefined) return 0;
    const group = this.#waiting.filter((w) => w.sdkAppId === sdkAppId);
    this.#forgetEnded(now);
    let granted: number;
    try {
      granted = await this.#take(
        rateWindowKey(sdkAppId, startMs),
        endMs,
        group.reduce((sum, w) => sum + w.wanted, 0),
      );
    } catch (error) {
      this.#report(error);
      const unavailable: SlotGrant = { granted: 0, retryAfterMs: FAIL_CLOSED_RETRY_MS, unavailable: true };
      this.#settle(
        (w) => group.includes(w),
        () => unavailable,
      );
      return 0;
    }
    const after = this.#now();
    if (after < endMs + this.#lateGrantMs) {
      for (const waiter of group) {
        if (granted === 0) break;
        const share = Math.min(waiter.wanted, granted);
        granted -= share;
        this.#settle(
          (w) => w === waiter,
          () => ({ granted: share }),
        );
      }
    }
    // The window is full, or the grant came too late for the margin (those slots are lost).
    this.#settle(
      (w) => group.includes(w) && endMs >= w.deadlineMs,
      () => noSlot(after),
    );
    return this.#waiting.length > 0 ? Math.max(0, endMs - after) : 0;
  }

  #settle(which: (waiter: Waiter) => boolean, grant: () => SlotGrant): void {
    this.#waiting = this.#waiting.filter((waiter) => {
      if (!which(waiter)) return true;
      waiter.resolve(grant());
      return false;
    });
  }

  /**
   * Takes up to `wanted` slots of one window; 0 when it is full. A refused `ADD` of k slots means
   * fewer than k are left: real DynamoDB returns the counter with the refusal, dynalite does not,
   * so without it k is halved; a refused single slot means full.
   */
  async #take(key: string, endMs: number, wanted: number): Promise<number> {
    const { budgetPerWindow } = this.budget;
    const state = this.#windows.get(key) ?? { endMs, used: 0 };
    this.#windows.set(key, state);
    let k = Math.min(wanted, budgetPerWindow - state.used);
    while (k >= 1) {
      try {
        const output = await this.#client.send(
          new UpdateCommand({
            TableName: this.#tableName,
            Key: { [PARTITION_KEY]: key },
            UpdateExpression: 'ADD #n :k SET #exp = :exp',
            ConditionExpression: 'attribute_not_exists(#n) OR #n <= :room',
            ExpressionAttributeNames: { '#n': COUNTER_ATTRIBUTE, '#exp': TTL_ATTRIBUTE },
            ExpressionAttributeValues: {
              ':k': k,
              ':room': budgetPerWindow - k,
              ':exp': Math.ceil((endMs + WINDOW_ITEM_LIFETIME_MS) / 1000),
            },
            ReturnValues: 'UPDATED_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        const counter = output.Attributes?.[COUNTER_ATTRIBUTE];
        state.used = Math.max(state.used, typeof counter === 'number' ? counter : k);
        return k;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const counter = Number(error.Item?.[COUNTER_ATTRIBUTE]?.N);
        const refused = k;
        // Without the counter, a refusal only says that fewer than k slots are left.
        state.used = Math.max(state.used, Number.isFinite(counter) ? counter : budgetPerWindow - refused + 1);
        k = Math.min(
          Number.isFinite(counter) ? refused - 1 : Math.floor(refused / 2),
          budgetPerWindow - state.used,
        );
      }
    }
    state.used = budgetPerWindow;
    return 0;
  }

  #forgetEnded(now: number): void {
    for (const [key, state] of this.#windows) if (state.endMs <= now) this.#windows.delete(key);
  }
}
