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
const COUNTER = 'n';

/** What this instance knows of one window of one app. */
interface WindowState {
  endMs: number;
  /** Slots known taken (by anyone): a lower bound of the shared counter. */
  used: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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
  #turn: Promise<void> = Promise.resolve();

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
    this.#sleep = options.sleep ?? defaultSleep;
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
    for (;;) {
      const step = await this.#inTurn(() => this.#tryCurrentWindow(sdkAppId, wanted, deadlineMs));
      if ('grant' in step) return step.grant;
      await this.#sleep(step.sleepMs);
    }
  }

  /**
   * One look at the window the clock is in. Runs in turn with this instance's other acquires: the
   * first to find the window full spares the others their refused writes, and fewer writes in
   * flight come back sooner, inside their window.
   */
  async #tryCurrentWindow(
    sdkAppId: number,
    wanted: number,
    deadlineMs: number,
  ): Promise<{ grant: SlotGrant } | { sleepMs: number }> {
    const { windowMs } = this.budget;
    const now = this.#now();
    const startMs = Math.floor(now / windowMs) * windowMs;
    const endMs = startMs + windowMs;
    const noSlot = (at: number) => ({
      grant: { granted: 0, retryAfterMs: Math.max(1, Math.ceil(endMs - at)) },
    });
    if (now >= deadlineMs) return noSlot(now);
    this.#forgetEnded(now);
    let granted: number;
    try {
      granted = await this.#take(rateWindowKey(sdkAppId, startMs), endMs, wanted);
    } catch (error) {
      this.#onError(error);
      return { grant: { granted: 0, retryAfterMs: FAIL_CLOSED_RETRY_MS, unavailable: true } };
    }
    const after = this.#now();
    if (granted > 0 && after < endMs + this.#lateGrantMs) return { grant: { granted } };
    // Full, or granted too late for the margin (those slots are lost).
    if (endMs >= deadlineMs) return noSlot(after);
    return { sleepMs: Math.max(0, endMs - after) };
  }

  #inTurn<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#turn.then(task);
    this.#turn = run.then(
      () => {},
      () => {},
    );
    return run;
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
            ExpressionAttributeNames: { '#n': COUNTER, '#exp': TTL_ATTRIBUTE },
            ExpressionAttributeValues: {
              ':k': k,
              ':room': budgetPerWindow - k,
              ':exp': Math.ceil((endMs + WINDOW_ITEM_LIFETIME_MS) / 1000),
            },
            ReturnValues: 'UPDATED_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        const counter = output.Attributes?.[COUNTER];
        state.used = Math.max(state.used, typeof counter === 'number' ? counter : k);
        return k;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const counter = Number(error.Item?.[COUNTER]?.N);
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
