import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CallSlots, RateLimiter, Slot } from '../portrait/ports.ts';
import { CallLine, type LineTuning, type Settlement } from './call-line.ts';
import {
  type CallSchedule,
  callSchedule,
  DEFAULT_MARGIN_MS,
  scheduleExpirySeconds,
} from './call-schedule.ts';
import { ScheduleTable, type ScheduleWrite } from './schedule-table.ts';

export interface RateLimiterOptions {
  /** Built by `createDynamoDbClients`, with its short timeouts. */
  client: DynamoDBDocumentClient;
  tableName: string;
  /** L: the upstream's calls per second (`RATE_LIMIT_PER_SECOND`). */
  ceilingPerSecond: number;
  /** m: clock skew, late allowance and arrival jitter tolerated together (`RATE_MARGIN_MS`). Default {@link DEFAULT_MARGIN_MS}. */
  marginMs?: number;
  /** Epoch ms; deadlines and reserved times are on this clock. Default `Date.now`. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told about each DynamoDB failure; the calls waiting then get no slot. Default: ignore. */
  onError?: (error: unknown) => void;
}

/** What a failing table is answered with: no slot, and a hint to come back in a second. */
export const FAIL_CLOSED_RETRY_MS = 1000;

/**
 * How the line is run (docs/rate-limit.md, "First come, first served"). A catch-up puts the first
 * slot at least 5 ms ahead, about a DynamoDB write's round trip, so it is rarely late when the grant
 * comes back (more when writes are slower: `CallLine`). A request is admitted with 10 ms (two slots at 200/s) to spare, and the shared time
 * is assumed to move on with the clock for up to 50 ms after it was seen: together they keep the
 * instances from all reserving at the very edge of their callers' deadlines, where most writes
 * would be refused. One write takes at most 10 slots, a wave of the service's calls.
 */
const TUNING = { leadMs: 5, slackMs: 10, extrapolationCapMs: 50, maxSlotsPerWrite: 10 } as const;

const US_PER_MS = 1000;

/** The state of one app's line on this instance. */
interface AppLine {
  readonly sdkAppId: number;
  readonly line: CallLine;
  writing: boolean;
  /** Times (µs) at which a look at the line is already scheduled. */
  wakes: number[];
}

const refusedSlots = (slot: Slot): CallSlots => ({ next: async () => slot, close: () => {} });

/**
 * Call slots under a ceiling shared by every instance (docs/rate-limit.md): one item per app in
 * DynamoDB holds the next free time of a lattice spaced T apart (GCRA's virtual scheduling), and a
 * conditional `UpdateItem` reserves the next slots from it. Each call starts when its reserved time
 * comes on this instance's clock; a time passed by more than the late allowance is dropped, never
 * used. Inside the instance the slots go first come, first served ({@link CallLine}). A DynamoDB
 * failure grants nothing (fail closed): the ceiling is a promise to Tencent.
 */
export class DynamoRateLimiter implements RateLimiter {
  /** The numbers this limiter keeps to. */
  readonly schedule: CallSchedule;
  #slotsLate = 0;
  #slotsUnused = 0;
  readonly #table: ScheduleTable;
  readonly #tuning: LineTuning;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #onError: (error: unknown) => void;
  readonly #apps = new Map<number, AppLine>();
  /** Aborts the timers of the default `sleep` when the limiter is closed. */
  readonly #closing = new AbortController();

  constructor(options: RateLimiterOptions) {
    this.schedule = callSchedule(options.ceilingPerSecond, options.marginMs ?? DEFAULT_MARGIN_MS);
    this.#table = new ScheduleTable(options.client, options.tableName);
    const spacingUs = this.schedule.spacingUs;
    this.#tuning = {
      leadUs: TUNING.leadMs * US_PER_MS,
      // 10 ms, or two slots where those are shorter (ceilings above 200/s).
      slackUs: Math.min(TUNING.slackMs * US_PER_MS, 2 * spacingUs),
      extrapolationCapUs: TUNING.extrapolationCapMs * US_PER_MS,
      maxSlotsPerWrite: Math.max(TUNING.maxSlotsPerWrite, this.schedule.slotsPerWrite),
    };
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => sleep(ms, undefined, { signal: this.#closing.signal }));
    this.#onError = options.onError ?? (() => {});
  }

  /** Reserved times dropped because a call waited for them but this instance came too late. */
  get slotsLate(): number {
    return this.#slotsLate;
  }

  /** Reserved times dropped because no call asked for them in time (their request left or was served). */
  get slotsUnused(): number {
    return this.#slotsUnused;
  }

  /**
   * A place in this instance's line for a request of `calls` upstream calls, each to start by
   * `deadlineMs`. When the line ahead and the shared schedule leave no room for them all, every
   * `next()` answers `granted: false` with the time until the line ahead is through: no slot spent.
   */
  join(sdkAppId: number, calls: number, deadlineMs: number): CallSlots {
    if (!Number.isInteger(calls) || calls < 1)
      throw new RangeError(`calls must be a positive whole number, got ${calls}`);
    const app = this.#app(sdkAppId);
    if (this.#closing.signal.aborted) return refusedSlots(this.#noSlot(app));
    this.#settle(app);
    const place = app.line.join(calls, deadlineMs * US_PER_MS, this.#nowUs());
    if ('retryAfterMs' in place) return refusedSlots({ granted: false, retryAfterMs: place.retryAfterMs });
    return {
      next: () =>
        new Promise<Slot>((resolve) => {
          // Closed, nothing would ever serve the ask: its timers end at once.
          if (this.#closing.signal.aborted) return resolve(this.#noSlot(app));
          app.line.ask({ place, resolve });
          this.#serve(app);
        }),
      close: () => {
        const slot = this.#noSlot(app);
        for (const ask of app.line.leave(place)) ask.resolve(slot);
        this.#serve(app);
      },
    };
  }

  /**
   * Stops the limiter (local server shutdown, tests): its timers end, so nothing keeps the process
   * alive, and every call still waiting, or asked for later, is told "no slot". In Lambda it is
   * never closed.
   */
  close(): void {
    this.#closing.abort();
    for (const app of this.#apps.values()) {
      const slot = this.#noSlot(app);
      for (const ask of app.line.leaveAll()) ask.resolve(slot);
    }
  }

  #app(sdkAppId: number): AppLine {
    let app = this.#apps.get(sdkAppId);
    if (app === undefined) {
      app = { sdkAppId, line: new CallLine(this.schedule, this.#tuning), writing: false, wakes: [] };
      this.#apps.set(sdkAppId, app);
    }
    return app;
  }

  #nowUs(): number {
    return Math.floor(this.#now() * US_PER_MS);
  }

  #noSlot(app: AppLine): Slot {
    return { granted: false, retryAfterMs: app.line.retryAfterMs(this.#nowUs()) };
  }

  /** Hands out what is due now, then reserves for the asks still uncovered. */
  #serve(app: AppLine): void {
    this.#settle(app);
    void this.#reserve(app);
  }

  #settle(app: AppLine): void {
    const settlement: Settlement = app.line.settle(this.#nowUs());
    this.#slotsLate += settlement.late;
    this.#slotsUnused += settlement.unused;
    for (const ask of settlement.granted) ask.resolve({ granted: true });
    if (settlement.expired.length > 0) {
      const slot = this.#noSlot(app);
      for (const ask of settlement.expired) ask.resolve(slot);
    }
    if (settlement.wakeAtUs !== undefined) this.#wakeAt(app, settlement.wakeAtUs);
  }

  /** Looks at the line again at `atUs`, unless a look at that time or earlier is already scheduled. */
  #wakeAt(app: AppLine, atUs: number): void {
    if (app.wakes.some((wake) => wake <= atUs)) return;
    app.wakes.push(atUs);
    const waitMs = Math.max(0, Math.ceil((atUs - this.#nowUs()) / US_PER_MS));
    this.#sleep(waitMs).then(
      () => {
        app.wakes = app.wakes.filter((wake) => wake !== atUs);
        this.#serve(app);
      },
      // Closed: nothing is served any more.
      () => {},
    );
  }

  /**
   * Writes while some ask is uncovered and a slot can fit it, one write at a time per app: a
   * refused write tells where the shared time stands, and the next plan starts from there. A
   * failing table answers every uncovered ask "no slot" (fail closed); held slots still serve.
   */
  async #reserve(app: AppLine): Promise<void> {
    if (app.writing) return;
    app.writing = true;
    try {
      // The asks of one wave come in one turn of the event loop: one write serves them all.
      await Promise.resolve();
      for (let plan = app.line.plan(this.#nowUs()); plan; plan = app.line.plan(this.#nowUs())) {
        const { spacingUs } = this.schedule;
        const spanUs = plan.count * spacingUs;
        const lastReservedUs = (plan.catchUp ? plan.fromUs : plan.lastUs) + spanUs;
        const expiresAt = scheduleExpirySeconds(lastReservedUs);
        let write: ScheduleWrite;
        const sentAtUs = this.#nowUs();
        try {
          write = plan.catchUp
            ? await this.#table.catchUp(app.sdkAppId, plan.fromUs, spanUs, expiresAt)
            : await this.#table.advance(app.sdkAppId, spanUs, plan.fromUs, plan.lastUs, expiresAt);
        } catch (error) {
          this.#report(error);
          const unavailable: Slot = { granted: false, retryAfterMs: FAIL_CLOSED_RETRY_MS, unavailable: true };
          for (const ask of app.line.uncovered()) ask.resolve(unavailable);
          return;
        }
        app.line.learn(plan, write, sentAtUs, this.#nowUs());
        this.#settle(app);
      }
    } finally {
      app.writing = false;
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
}
