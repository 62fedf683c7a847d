import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MARGIN_MS,
  MIN_WINDOW_MS,
  planWindow,
  windowBudget,
} from '../../../shared/ratelimit/window-budget.ts';
import { busiestSecond } from '../../support/sliding-second.ts';

/** Where a window's grants land: as early or as late as the model allows, or anywhere between. */
const placement = fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true }));

describe('windowBudget', () => {
  describe.each([
    { L: 200, w: 100, m: 0, N: 11, b: 18, worst: 198, sustained: 180 },
    { L: 200, w: 100, m: 100, N: 12, b: 16, worst: 192, sustained: 160 },
    { L: 200, w: 50, m: 50, N: 22, b: 9, worst: 198, sustained: 180 },
    { L: 200, w: 50, m: 0, N: 21, b: 9, worst: 189, sustained: 180 },
    { L: 200, w: 1000, m: 0, N: 2, b: 100, worst: 200, sustained: 100 },
    { L: 50, w: 70, m: 50, N: 16, b: 3, worst: 48, sustained: 3000 / 70 },
  ])('L=$L/s, w=$w ms, margin $m ms', ({ L, w, m, N, b, worst, sustained }) => {
    it(`meets at most ${N} windows per sliding second, ${b} slots each`, () => {
      // Act
      const budget = windowBudget(L, w, m);

      // Assess
      expect(budget).toEqual({
        ceilingPerSecond: L,
        windowMs: w,
        marginMs: m,
        windowsPerSlidingSecond: N,
        budgetPerWindow: b,
        worstSlidingSecond: worst,
        sustainedPerSecond: sustained,
      });
    });
  });

  it.each([
    [0, 50, 50],
    [1.5, 50, 50],
    [200, 0, 50],
    [200, 12.5, 50],
    [200, 50, -1],
    [200, 50, Number.NaN],
  ])('refuses L=%s, w=%s, m=%s', (L, w, m) => {
    // Act / Assess
    expect(() => windowBudget(L, w, m)).toThrow(RangeError);
  });

  it('keeps every sliding second at or under the ceiling wherever grants land within the model', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 1000 }),
        fc.integer({ min: 1, max: 1200 }),
        fc.integer({ min: 0, max: 300 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.record({ at: placement, offset: placement, delay: placement }), {
          minLength: 1,
          maxLength: 60,
        }),
        (L, w, m, skewShare, windows) => {
          const { budgetPerWindow, worstSlidingSecond } = windowBudget(L, w, m);
          // Every grant of window k leaves while its instance's clock reads [k·w, k·w + w); that
          // clock runs up to `skew` ahead of Tencent's, and the call takes up to `jitter` longer.
          const skew = m * skewShare;
          const jitter = m - skew;
          const arrivals = windows.flatMap(({ at, offset, delay }, k) => {
            const arrival = k * w + Math.min(at, 0.999_999) * w - offset * skew + delay * jitter;
            return Array.from({ length: budgetPerWindow }, () => arrival);
          });

          expect(worstSlidingSecond).toBeLessThanOrEqual(L);
          expect(busiestSecond(arrivals)).toBeLessThanOrEqual(worstSlidingSecond);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is tight: N windows can meet in one sliding second, so a smaller N would overshoot', () => {
    // Prepare
    const {
      windowMs: w,
      marginMs: m,
      windowsPerSlidingSecond: N,
      budgetPerWindow: b,
    } = windowBudget(200, 50, 50);
    const latestOfFirst = w + m - 0.001;
    // Window 0's calls as late as the model allows, every later window's as early as it allows
    // but not before them: windows 0 … N−1 then fit in [latestOfFirst, latestOfFirst + 1000).
    const windows = Array.from({ length: N + 1 }, (_, k) => Math.max(k * w, latestOfFirst));

    // Act
    const busiest = busiestSecond(windows.flatMap((arrival) => Array.from({ length: b }, () => arrival)));

    // Assess
    expect(busiest).toBe(N * b);
  });
});

describe('planWindow', () => {
  it('picks 50 ms windows of 9 slots for 200/s with the default margin: 180/s, 90 %', () => {
    // Act
    const plan = planWindow(200);

    // Assess
    expect(plan).toMatchObject({ windowMs: 50, marginMs: DEFAULT_MARGIN_MS, budgetPerWindow: 9 });
    expect(plan.sustainedPerSecond).toBe(180);
  });

  it('sustains at least 85 % of any ceiling from 28/s up with the default margin, never over it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 28, max: 20_000 }), (L) => {
        const plan = planWindow(L);

        expect(plan.windowMs).toBeGreaterThanOrEqual(MIN_WINDOW_MS);
        expect(plan.worstSlidingSecond).toBeLessThanOrEqual(L);
        expect(plan.sustainedPerSecond).toBeGreaterThanOrEqual(0.85 * L);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a ceiling of 1/s: any two windows can meet within one second', () => {
    // Act / Assess
    expect(() => planWindow(1)).toThrow(RangeError);
    expect(planWindow(2).worstSlidingSecond).toBeLessThanOrEqual(2);
  });
});
