import { DEFAULTS } from '../config.ts';

/**
 * The arithmetic of the rate ceiling (docs/rate-limit.md, "The bound"), in one place.
 *
 * Model. Every instance releases calls only at times reserved on one shared lattice (GCRA's
 * virtual scheduling): consecutive reserved times are at least T apart. A call is released on its
 * instance's clock no earlier than its time and at most the late allowance after it, and reaches
 * Tencent after a delay that varies; clock skew, late allowance and that variation together are
 * the margin `m`: a call released for time `r` arrives somewhere in `[r + d, r + d + m]` for a
 * fixed delay `d`.
 *
 * Bound. L + 1 releases spanning at most 1000 + m ms can all land within one sliding second
 * (closed at both ends, the worst case), so no scheme sustains more than L·1000/(1000 + m) calls a
 * second. The lattice reaches it: with `L·T > 1000 + m` any L + 1 reserved times span more than
 * 1000 + m ms, so their arrivals never fit one second, half-open or closed.
 */

/**
 * What the default margin is made of, in ms: clock skew between instances (Lambda clocks follow
 * the Amazon Time Sync Service, typically within a millisecond or two), how late past its reserved
 * time a call may still be released (a timer that fires late, a reservation that comes back from
 * DynamoDB after its first time), and how much the delay from release to arrival at Tencent varies
 * (warm sockets, a region near the data center).
 */
export const DEFAULT_MARGIN_PARTS = { skewMs: 10, lateMs: 20, arrivalJitterMs: 20 } as const;

/** The default margin m (`RATE_MARGIN_MS`), 50 ms: the sum of {@link DEFAULT_MARGIN_PARTS}. */
export const DEFAULT_MARGIN_MS: number = DEFAULTS.rateMarginMs;

/**
 * Successful reservation writes per second the schedule item may take at most: DynamoDB allows
 * 1,000 writes a second on one item; a quarter of that leaves room for refused conditional writes.
 */
export const MAX_RESERVATIONS_PER_SECOND = 250;

/** How long the schedule item outlives the last time reserved in it: DynamoDB's TTL only collects garbage. */
export const SCHEDULE_ITEM_LIFETIME_SECONDS = 60;

const MARGIN_PARTS_MS =
  DEFAULT_MARGIN_PARTS.skewMs + DEFAULT_MARGIN_PARTS.lateMs + DEFAULT_MARGIN_PARTS.arrivalJitterMs;
const US_PER_MS = 1000;
const US_PER_SECOND = 1_000_000;
const SECOND_MS = 1000;

export interface CallSchedule {
  /** L: calls per sliding second the upstream allows. */
  ceilingPerSecond: number;
  /** m: skew, late allowance and arrival jitter tolerated together, in ms. */
  marginMs: number;
  /** T: the spacing of reserved times, in µs: (1000 + m)/L ms rounded up to the next whole µs. */
  spacingUs: number;
  /** k: the fewest slots one reservation write takes, so that writes stay under {@link MAX_RESERVATIONS_PER_SECOND}. */
  slotsPerWrite: number;
  /** How long past its reserved time a call may still be released, in µs; later, the slot is dropped. */
  lateAllowanceUs: number;
  /** L·1000/(1000 + m): what no scheme can exceed under this margin, calls per second. */
  boundPerSecond: number;
  /** 1/T: what the lattice sustains when demand exceeds it, calls per second. */
  sustainedPerSecond: number;
}

/**
 * The schedule for ceiling `L` per second and margin `marginMs` (see the file header). T is the
 * smallest whole number of µs strictly above (1000 + m)/L ms: 5251 µs at L = 200, m = 50.
 */
export function callSchedule(ceilingPerSecond: number, marginMs: number = DEFAULT_MARGIN_MS): CallSchedule {
  if (!Number.isInteger(ceilingPerSecond) || ceilingPerSecond < 1)
    throw new RangeError(
      `the ceiling must be a positive whole number of calls per second, got ${ceilingPerSecond}`,
    );
  if (!Number.isInteger(marginMs) || marginMs < 0)
    throw new RangeError(`the margin must be a whole non-negative number of ms, got ${marginMs}`);
  const spacingUs = Math.floor(((SECOND_MS + marginMs) * US_PER_MS) / ceilingPerSecond) + 1;
  return {
    ceilingPerSecond,
    marginMs,
    spacingUs,
    slotsPerWrite: Math.ceil(ceilingPerSecond / MAX_RESERVATIONS_PER_SECOND),
    lateAllowanceUs: Math.floor((marginMs * US_PER_MS * DEFAULT_MARGIN_PARTS.lateMs) / MARGIN_PARTS_MS),
    boundPerSecond: (ceilingPerSecond * SECOND_MS) / (SECOND_MS + marginMs),
    sustainedPerSecond: US_PER_SECOND / spacingUs,
  };
}

/** The `count` times a write reserved, earliest first, given the shared time it left behind. */
export function reservedTimes(nextFreeUs: number, count: number, spacingUs: number): number[] {
  return Array.from({ length: count }, (_, i) => nextFreeUs - (count - i) * spacingUs);
}

/** The schedule item's TTL, in epoch seconds: a minute past `lastReservedUs`. */
export function scheduleExpirySeconds(lastReservedUs: number): number {
  return Math.ceil(lastReservedUs / US_PER_SECOND) + SCHEDULE_ITEM_LIFETIME_SECONDS;
}
