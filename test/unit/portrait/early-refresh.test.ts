import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { earlyRefreshChance, refreshesEarly } from '../../../shared/portrait/early-refresh.ts';

/** A seeded uniform source in [0, 1) (mulberry32), so that a property run can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * One expiry of a hot account on instances that share no flight: reads arrive at `ratePerMs`
 * until the entry expires; each decides with {@link refreshesEarly}; the first refresh lands
 * `refreshMs` later, and every read that decided to refresh before then made a call of its own.
 * Returns how many did (0: nobody refreshed before expiry).
 */
function refreshersAtOneExpiry(ratePerMs: number, scaleMs: number, refreshMs: number, random: () => number) {
  let gapMs = scaleMs * (Math.log(ratePerMs * scaleMs) + 8);
  let landsAtGapMs: number | undefined;
  let refreshers = 0;
  while (gapMs > 0) {
    gapMs -= -Math.log(1 - random()) / ratePerMs;
    if (landsAtGapMs !== undefined && gapMs <= landsAtGapMs) break;
    if (gapMs > 0 && refreshesEarly(gapMs, scaleMs, random())) {
      refreshers += 1;
      landsAtGapMs ??= gapMs - refreshMs;
    }
  }
  return refreshers;
}

describe('refreshesEarly', () => {
  it('refreshes with probability exp(-freshFor / scale): exactly for draws up to that', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 1e7, noNaN: true }),
        fc.double({ min: 1, max: 1e6, noNaN: true }),
        fc.double({ min: Number.EPSILON, max: 1, maxExcluded: true, noNaN: true }),
        (freshForMs, scaleMs, u) => {
          const chance = earlyRefreshChance(freshForMs, scaleMs);
          // Away from the boundary, where rounding could tip either way.
          fc.pre(Math.abs(u - chance) > 1e-9);

          expect(refreshesEarly(freshForMs, scaleMs, u)).toBe(u < chance);
        },
      ),
    );
  });

  it('is more likely the nearer expiry is: a draw that refreshes later refreshes sooner too', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double({ min: 1, max: 1e5, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (a, b, scaleMs, u) => {
          const [nearer, farther] = a < b ? [a, b] : [b, a];

          if (refreshesEarly(farther, scaleMs, u)) expect(refreshesEarly(nearer, scaleMs, u)).toBe(true);
        },
      ),
    );
  });

  it('always refreshes an entry no longer fresh, whatever the scale and the draw', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e7, max: 0, noNaN: true }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (freshForMs, scaleMs, u) => {
          expect(refreshesEarly(freshForMs, scaleMs, u)).toBe(true);
        },
      ),
    );
  });

  describe.each([
    { scaleMs: 0, as: 'off' },
    { scaleMs: -1000, as: 'below 0' },
  ])('with the scale $as ($scaleMs ms)', ({ scaleMs }) => {
    it.each([0, 0.5, 1 - Number.EPSILON])(
      'never refreshes a fresh entry early, always one no longer fresh (draw %s)',
      (u) => {
        expect(refreshesEarly(1000, scaleMs, u)).toBe(false);
        expect(refreshesEarly(0, scaleMs, u)).toBe(true);
        expect(refreshesEarly(-1000, scaleMs, u)).toBe(true);
      },
    );
  });

  it('refreshes on a draw of exactly the chance: the rule is −scale·ln(u) ≥ freshFor', () => {
    // Prepare: ln 2 ms fresh on a 1 ms scale, a chance of exactly e^(−ln 2) = 0.5.
    const freshForMs = Math.LN2;

    // Act
    const chance = earlyRefreshChance(freshForMs, 1);
    const atChance = refreshesEarly(freshForMs, 1, 0.5);

    // Assess
    expect(chance).toBe(0.5);
    expect(atChance).toBe(true);
  });

  it('has one refresher per expiry in expectation when a refresh lands at once, e^(refresh / scale) when it takes time', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 200 }),
        fc.integer({ min: 100, max: 2000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer(),
        (readsPerScale, scaleMs, refreshShare, seed) => {
          const random = seeded(seed);
          const refreshMs = refreshShare * scaleMs;
          const trials = 200;

          let refreshers = 0;
          let missed = 0;
          for (let trial = 0; trial < trials; trial += 1) {
            const k = refreshersAtOneExpiry(readsPerScale / scaleMs, scaleMs, refreshMs, random);
            refreshers += k;
            if (k === 0) missed += 1;
          }

          const expected = Math.exp(refreshShare);
          expect(refreshers / trials).toBeGreaterThan(expected * 0.75);
          expect(refreshers / trials).toBeLessThan(expected * 1.25);
          expect(missed).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 8 },
    );
  });
});

describe('earlyRefreshChance', () => {
  it.each([
    { freshForMs: 1000, scaleMs: 1000, chance: Math.exp(-1) },
    { freshForMs: 1000 * Math.LN2, scaleMs: 1000, chance: 0.5 },
    { freshForMs: 0, scaleMs: 1000, chance: 1 },
    { freshForMs: -5000, scaleMs: 1000, chance: 1 },
    { freshForMs: 0, scaleMs: 0, chance: 1 },
    { freshForMs: -5000, scaleMs: 0, chance: 1 },
    { freshForMs: 1000, scaleMs: 0, chance: 0 },
    // −0 is a scale of 0 too: off, not e^(+∞).
    { freshForMs: 1000, scaleMs: -0, chance: 0 },
    { freshForMs: 1000, scaleMs: -1000, chance: 0 },
  ])(
    'is $chance for an entry fresh for $freshForMs ms on a scale of $scaleMs ms',
    ({ freshForMs, scaleMs, chance }) => {
      expect(earlyRefreshChance(freshForMs, scaleMs)).toBeCloseTo(chance, 12);
    },
  );

  it('stays between 0 and 1, and certain once the entry is no longer fresh', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e7, max: 1e7, noNaN: true }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        (freshForMs, scaleMs) => {
          const chance = earlyRefreshChance(freshForMs, scaleMs);

          expect(chance).toBeGreaterThanOrEqual(0);
          expect(chance).toBeLessThanOrEqual(1);
          if (freshForMs <= 0) expect(chance).toBe(1);
        },
      ),
    );
  });
});
