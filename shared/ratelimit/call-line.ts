import type { Slot } from '../portrait/ports.ts';
import { type CallSchedule, reservedTimes } from './call-schedule.ts';
import type { ScheduleWrite } from './schedule-table.ts';

/** Weight of the latest write's round trip in the smoothed one: about the last eight count. */
const WRITE_SMOOTHING = 0.25;

/** One request's place in an instance's line. */
export interface Place {
  /** Order of arrival: a lower one is served first. */
  readonly seq: number;
  /** The last moment (µs, this instance's clock) a call of this request may start. */
  readonly deadlineUs: number;
  /** Calls announced and not yet granted. */
  remaining: number;
  /** Asks of this request waiting now. */
  waiting: number;
}

/** A call waiting for its slot. */
export interface Ask {
  readonly place: Place;
  readonly resolve: (slot: Slot) => void;
}

/** The conditional write that would take the next slots for the asks not yet covered. */
export interface ReservationPlan {
  /** Slots to reserve, consecutive, T apart. */
  count: number;
  /** The shared time lags behind now: move it to `fromUs` and reserve from there. */
  catchUp: boolean;
  /**
   * Catch-up: the first time to reserve. Advance: the least next free time accepted: lead less the
   * late allowance behind now, whose slot the write's answer brings back in time while writes take
   * no longer than the lead; a slower answer may bring it back too late, and it is dropped
   * (`Settlement.late`) rather than released past the allowance.
   */
  fromUs: number;
  /** Advance: the latest next free time from which every slot still fits its ask's deadline. */
  lastUs: number;
}

/** What is due at a moment: calls to start, asks past their deadline, reserved times lost. */
export interface Settlement {
  granted: Ask[];
  expired: Ask[];
  /** Reserved times passed by more than the late allowance while a call waited: this instance came too late. */
  late: number;
  /** Reserved times passed by more than the late allowance with no call waiting: nobody needed them. */
  unused: number;
  /** When something next falls due (µs, this instance's clock); undefined when nothing waits. */
  wakeAtUs: number | undefined;
}

export interface LineTuning {
  /** How far ahead of now a catch-up puts the first slot at least, µs; more when writes are slower. */
  leadUs: number;
  /** Time a request is admitted with to spare before its deadline, µs. */
  slackUs: number;
  /** How far the shared time is assumed to have moved on, at most, since it was last seen, µs. */
  extrapolationCapUs: number;
  /** The most slots one write takes. */
  maxSlotsPerWrite: number;
}

/**
 * One instance's first-come-first-served line for one app's call slots: pure state, no clock and
 * no I/O (the limiter brings both). Reserved times are handed out when they fall due, to the
 * earliest request waiting, so a request that holds slots keeps receiving the next ones before a
 * later one gets any; a request is admitted only if the line ahead of it, and the shared schedule
 * as it probably stands, leave room for all its calls before its deadline (docs/rate-limit.md,
 * "First come, first served").
 */
export class CallLine {
  readonly #schedule: CallSchedule;
  readonly #tuning: LineTuning;
  /** Waiting asks, earliest request first, and in asking order within one request. */
  #asks: Ask[] = [];
  /** Times reserved by this instance and not yet handed out, earliest first (µs). */
  #held: number[] = [];
  readonly #places = new Set<Place>();
  #nextSeq = 0;
  /** The shared next free time as last seen, and when (µs, this instance's clock). */
  #nextFreeUs = Number.NEGATIVE_INFINITY;
  #seenAtUs = Number.NEGATIVE_INFINITY;
  /** A write's round trip, smoothed (µs). */
  #writeUs = 0;

  constructor(schedule: CallSchedule, tuning: LineTuning) {
    this.#schedule = schedule;
    this.#tuning = tuning;
  }

  /**
   * A place for a request of `calls` calls, or how long to wait when the line ahead and the shared
   * schedule leave no room for them all before `deadlineUs`.
   */
  join(calls: number, deadlineUs: number, nowUs: number): Place | { retryAfterMs: number } {
    const ahead = this.#callsAhead();
    if (this.#estimate(ahead + calls, nowUs) + this.#tuning.slackUs > deadlineUs)
      return { retryAfterMs: this.#retryAfterMs(ahead, nowUs) };
    const place: Place = { seq: this.#nextSeq++, deadlineUs, remaining: calls, waiting: 0 };
    this.#places.add(place);
    return place;
  }

  /** Removes a request from the line; its asks still waiting, for the caller to answer. */
  leave(place: Place): Ask[] {
    this.#places.delete(place);
    const left = this.#asks.filter((ask) => ask.place === place);
    this.#asks = this.#asks.filter((ask) => ask.place !== place);
    place.waiting = 0;
    return left;
  }

  /** Empties the line (the limiter is closing): every ask still waiting, for the caller to answer. */
  leaveAll(): Ask[] {
    const left = this.#asks;
    this.#asks = [];
    this.#held = [];
    for (const place of this.#places) place.waiting = 0;
    this.#places.clear();
    return left;
  }

  /** Queues one call of `place`: behind every ask of earlier requests and of its own. */
  ask(ask: Ask): void {
    const at = this.#asks.findIndex((other) => other.place.seq > ask.place.seq);
    this.#asks.splice(at === -1 ? this.#asks.length : at, 0, ask);
    ask.place.waiting += 1;
  }

  /** How long a request refused now should wait: until the line ahead would be served. */
  retryAfterMs(nowUs: number): number {
    return this.#retryAfterMs(this.#callsAhead(), nowUs);
  }

  /**
   * Grants due reserved times to the earliest asks, refuses asks past their deadline, drops times
   * passed by more than the late allowance. A due time nobody asks for is kept until it is that late.
   */
  settle(nowUs: number): Settlement {
    const expired = this.#asks.filter((ask) => ask.place.deadlineUs < nowUs);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: only spares a copy when nothing expired; the filter alone keeps the same asks
    if (expired.length > 0) this.#asks = this.#asks.filter((ask) => ask.place.deadlineUs >= nowUs);
    for (const ask of expired) ask.place.waiting -= 1;
    const lateBeforeUs = nowUs - this.#schedule.lateAllowanceUs;
    let late = 0;
    let unused = 0;
    while ((this.#held[0] ?? Number.POSITIVE_INFINITY) < lateBeforeUs) {
      this.#held.shift();
      if (this.#asks.length > 0) late += 1;
      else unused += 1;
    }
    const granted: Ask[] = [];
    while ((this.#held[0] ?? Number.POSITIVE_INFINITY) <= nowUs && this.#asks.length > 0) {
      this.#held.shift();
      const ask = this.#asks.shift() as Ask;
      ask.place.waiting -= 1;
      ask.place.remaining = Math.max(0, ask.place.remaining - 1);
      granted.push(ask);
    }
    return { granted, expired, late, unused, wakeAtUs: this.#wakeAtUs(nowUs) };
  }

  /**
   * The next write, if any ask is not covered by a held time and some slot can still fit: up to
   * `maxSlotsPerWrite` slots (at least the schedule's k), each for an ask whose deadline it meets.
   * It starts from the shared time as last seen, not as expected: when that is wrong, the refusal
   * tells where it stands, and a request admitted on the expected time has room to spare.
   */
  plan(nowUs: number): ReservationPlan | undefined {
    const { spacingUs, slotsPerWrite, lateAllowanceUs } = this.#schedule;
    const leadUs = this.#leadUs();
    const fromUs = nowUs + leadUs - lateAllowanceUs;
    const catchUp = this.#nextFreeUs < fromUs;
    const startUs = catchUp ? nowUs + leadUs : this.#nextFreeUs;
    let count = 0;
    let lastUs = Number.MAX_SAFE_INTEGER;
    for (const ask of this.#asks.slice(this.#held.length)) {
      if (count === this.#tuning.maxSlotsPerWrite) break;
      const slotUs = startUs + count * spacingUs;
      if (slotUs > ask.place.deadlineUs) continue;
      lastUs = Math.min(lastUs, ask.place.deadlineUs - count * spacingUs);
      count += 1;
    }
    if (count === 0) return undefined;
    return {
      count: Math.max(count, slotsPerWrite),
      catchUp,
      fromUs: catchUp ? startUs : fromUs,
      lastUs: catchUp ? startUs : lastUs,
    };
  }

  /**
   * Takes in what a planned write, sent at `sentAtUs`, did: the times it reserved, or the shared
   * time it was refused at.
   */
  learn(plan: ReservationPlan, write: ScheduleWrite, sentAtUs: number, nowUs: number): void {
    this.#writeUs += (Math.max(0, nowUs - sentAtUs) - this.#writeUs) * WRITE_SMOOTHING;
    this.#seenAtUs = nowUs;
    if (write.reserved) {
      this.#held.push(...reservedTimes(write.nextFreeUs, plan.count, this.#schedule.spacingUs));
      this.#nextFreeUs = Math.max(this.#nextFreeUs, write.nextFreeUs);
    } else {
      this.#nextFreeUs = write.nextFreeUs ?? Number.NEGATIVE_INFINITY;
    }
  }

  /** Removes the asks no held time covers (the latest comers), for the caller to refuse: the schedule failed. */
  uncovered(): Ask[] {
    const left = this.#asks.slice(this.#held.length);
    this.#asks = this.#asks.slice(0, this.#held.length);
    for (const ask of left) ask.place.waiting -= 1;
    return left;
  }

  /**
   * When the `position`-th call from now, in line order, could start: on a held time, or after
   * them at the shared time as expected now (never before now plus the lead), T apart.
   */
  #estimate(position: number, nowUs: number): number {
    const { spacingUs } = this.#schedule;
    const held = this.#held[position - 1];
    if (held !== undefined) return held;
    const startUs = Math.max(nowUs + this.#leadUs(), this.#expectedNextFree(nowUs));
    return startUs + (position - this.#held.length - 1) * spacingUs;
  }

  /**
   * How far ahead a catch-up's first slot goes: the configured lead, or, when writes are slower, a
   * write's usual round trip less half the late allowance, so that the answer comes back in time
   * to use the slot (were every answer later than the allowance, every slot would be dropped and
   * the writes would go on for nothing), with half the allowance left for a slower one.
   */
  #leadUs(): number {
    const { lateAllowanceUs } = this.#schedule;
    return Math.max(this.#tuning.leadUs, Math.round(this.#writeUs - lateAllowanceUs / 2));
  }

  /** Calls the requests in line still announce, or ask for (retries may exceed the announcement). */
  #callsAhead(): number {
    let ahead = 0;
    for (const place of this.#places) ahead += Math.max(place.remaining, place.waiting);
    return ahead;
  }

  #retryAfterMs(ahead: number, nowUs: number): number {
    return Math.max(1, Math.ceil((this.#estimate(ahead + 1, nowUs) - nowUs) / 1000));
  }

  /**
   * The shared next free time as it probably stands now. While it ran ahead of the clock, other
   * instances were keeping a backlog: it is assumed to have moved on with the clock since it was
   * seen (the backlog persisting), by at most the cap, so that a request is not admitted on news
   * that other instances have already overtaken. It never moves back.
   */
  #expectedNextFree(nowUs: number): number {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: below the clock either way, and the one caller takes the later of this and now + the lead (≥ 0)
    if (this.#nextFreeUs < this.#seenAtUs) return this.#nextFreeUs;
    return this.#nextFreeUs + Math.min(nowUs - this.#seenAtUs, this.#tuning.extrapolationCapUs);
  }

  #wakeAtUs(nowUs: number): number | undefined {
    let wakeAtUs = Number.POSITIVE_INFINITY;
    const next = this.#held[0];
    if (next !== undefined) wakeAtUs = next > nowUs ? next : next + this.#schedule.lateAllowanceUs + 1;
    for (const ask of this.#asks) wakeAtUs = Math.min(wakeAtUs, ask.place.deadlineUs + 1);
    return Number.isFinite(wakeAtUs) ? wakeAtUs : undefined;
  }
}
