import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jitteredBackoffMs } from '../../../shared/async/backoff.ts';

describe('jitteredBackoffMs', () => {
  describe.each([
    { retry: 1, low: 12.5, high: 25 },
    { retry: 2, low: 25, high: 50 },
    { retry: 4, low: 100, high: 200 },
  ])('retry $retry from 25 ms', ({ retry, low, high }) => {
    it(`waits ${low} ms at the least and up to ${high} ms`, () => {
      expect(jitteredBackoffMs(retry, 25, () => 0)).toBe(low);
      expect(jitteredBackoffMs(retry, 25, () => 0.999_999)).toBeCloseTo(high, 3);
    });
  });

  it('keeps at least half the doubled wait and never more than all of it, whatever the jitter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (retry, firstMs, random) => {
          const ceiling = firstMs * 2 ** (retry - 1);

          const wait = jitteredBackoffMs(retry, firstMs, () => random);

          expect(wait).toBeGreaterThanOrEqual(ceiling / 2);
          expect(wait).toBeLessThan(ceiling + Number.EPSILON * ceiling);
        },
      ),
    );
  });

  it('spreads instances that retry together', () => {
    const waits = new Set(Array.from({ length: 20 }, () => jitteredBackoffMs(3, 25)));

    expect(waits.size).toBeGreaterThan(1);
  });
});
