import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CallSchedule,
  callSchedule,
  DEFAULT_MARGIN_MS,
  DEFAULT_MARGIN_PARTS,
  reservedTimes,
  scheduleExpirySeconds,
} from '../../../shared/ratelimit/call-schedule.ts';
import { busiestSecond } from '../../support/sliding-second.ts';

describe('callSchedule', () => {
  describe.each([
    { L: 200, m: 50, T: 5251, k: 1, late: 20_000, bound: 190.476, sustained: 190.44 },
    { L: 200, m: 20, T: 5101, k: 1, late: 8_000, bound: 196.078, sustained: 196.04 },
    { L: 200, m: 100, T: 5501, k: 1, late: 40_000, bound: 181.818, sustained: 181.785 },
    { L: 100, m: 50, T: 10_501, k: 1, late: 20_000, bound: 95.238, sustained: 95.229 },
    { L: 2, m: 50, T: 525_001, k: 1, late: 20_000, bound: 1.905, sustained: 1.905 },
    { L: 1, m: 50, T: 1_050_001, k: 1, late: 20_000, bound: 0.952, sustained: 0.952 },
    { L: 1000, m: 50, T: 1051, k: 4, late: 20_000, bound: 952.381, sustained: 951.475 },
    { L: 3, m: 0, T: 333_334, k: 1, late: 0, bound: 3, sustained: 3.0 },
  ])('L=$L/s, margin $m ms', ({ L, m, T, k, late, bound, sustained }) => {
    it(`spaces calls ${T} µs apart, ${k} slot(s) a write at least`, () => {
      // Act
      const schedule = callSchedule(L, m);

      // Assess
      expect(schedule).toMatchObject({
        ceilingPerSecond: L,
        marginMs: m,
        spacingUs: T,
        slotsPerWrite: k,
        lateAllowanceUs: late,
      });
      expect(schedule.boundPerSecond).toBeCloseTo(bound, 3);
      expect(schedule.sustainedPerSecond).toBeCloseTo(sustained, 2);
      // Within 0.3 % of the bound no scheme can exceed, wherever T's rounding to a µs matters little.
      if (T > 1000) expect(schedule.sustainedPerSecond / schedule.boundPerSecond).toBeGreaterThan(0.997);
    });
  });

  it('defaults to a 50 ms margin, made of skew, late release and arrival jitter', () => {
    const { skewMs, lateMs, arrivalJitterMs } = DEFAULT_MARGIN_PARTS;

    expect(DEFAULT_MARGIN_MS).toBe(50);
    expect(skewMs + lateMs + arrivalJitterMs).toBe(DEFAULT_MARGIN_MS);
    expect(callSchedule(200)).toEqual(callSchedule(200, DEFAULT_MARGIN_MS));
  });

  it.each([
    [0, 50, 'the ceiling must be a positive whole number of calls per second, got 0'],
    [1.5, 50, 'the ceiling must be a positive whole number of calls per second, got 1.5'],
    [200, -1, 'the margin must be a whole non-negative number of ms, got -1'],
    [200, 2.5, 'the margin must be a whole non-negative number of ms, got 2.5'],
    [200, Number.NaN, 'the margin must be a whole non-negative number of ms, got NaN'],
  ])('refuses L=%s, m=%s, naming the value', (L, m, message) => {
    // Act / Assess
    expect(() => callSchedule(L, m)).toThrow(new RangeError(message));
  });
});

/** Release times spaced at least T apart, some of them dropped, and an arrival within the margin of each. */
const releasesAndArrivals = fc
  .record({ L: fc.integer({ min: 1, max: 300 }), m: fc.integer({ min: 0, max: 300 }) })
  .chain(({ L, m }) =>
    fc.record({
      schedule: fc.constant(callSchedule(L, m)),
      slots: fc.array(
        fc.record({
          // Mostly back to back, as under overload; now and then a gap.
          extraUs: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 2_000_000 })),
          used: fc.oneof(fc.constant(true), fc.constant(true), fc.boolean()),
          // Where in the margin the call lands: its earliest, its latest, or anywhere between.
          landing: fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
        }),
        { minLength: L + 1, maxLength: 2 * L + 2 },
      ),
    }),
  );

/** Arrival times (ms) of `slots` on the lattice of `schedule`. */
function arrivals(
  schedule: CallSchedule,
  slots: ReadonlyArray<{ extraUs: number; used: boolean; landing: number }>,
) {
  let releaseUs = 1_800_000_000_000_000;
  const landed: number[] = [];
  for (const { extraUs, used, landing } of slots) {
    releaseUs += schedule.spacingUs + extraUs;
    if (used) landed.push((releaseUs + landing * schedule.marginMs * 1000) / 1000);
  }
  return landed;
}

describe('the lattice', () => {
  it('never puts more than L arrivals in a sliding second, half-open or closed, wherever within the margin they land', () => {
    fc.assert(
      fc.property(releasesAndArrivals, ({ schedule, slots }) => {
        const landed = arrivals(schedule, slots);

        expect(busiestSecond(landed)).toBeLessThanOrEqual(schedule.ceilingPerSecond);
        expect(busiestSecond(landed, true)).toBeLessThanOrEqual(schedule.ceilingPerSecond);
      }),
      { numRuns: 300 },
    );
  });

  it('needs T strictly above (1000 + m)/L: spaced exactly that, a closed second can see L + 1', () => {
    // Prepare: L = 200, m = 50: 5250 µs exactly. The first call lands as late as allowed, the last as
    // early, and those between no earlier than the first.
    const exact: CallSchedule = { ...callSchedule(200, 50), spacingUs: 5250 };
    const slots = Array.from({ length: 201 }, (_, i) => ({
      extraUs: 0,
      used: true,
      landing: Math.max(0, 1 - (i * 5250) / 50_000),
    }));

    // Act
    const landed = arrivals(exact, slots);

    // Assess
    expect(busiestSecond(landed, true)).toBe(201);
    expect(busiestSecond(arrivals(callSchedule(200, 50), slots), true)).toBe(200);
  });
});

describe('reservedTimes', () => {
  it('lists the times a write took, earliest first, ending one T before the next free time', () => {
    expect(reservedTimes(100_000, 3, 5251)).toEqual([84_247, 89_498, 94_749]);
  });
});

describe('scheduleExpirySeconds', () => {
  it.each([
    [1_800_000_000_000_000, 1_800_000_060],
    [1_800_000_000_000_001, 1_800_000_061],
  ])('expires the item a minute past %s µs, in whole epoch seconds', (lastUs, seconds) => {
    expect(scheduleExpirySeconds(lastUs)).toBe(seconds);
  });
});
