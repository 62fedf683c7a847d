import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlidingSecond } from '../../../infra/local/emulator/sliding-second.ts';

/** Feeds arrivals (ms, non-decreasing) to a ceiling and returns which were admitted. */
const admissions = (ceiling: SlidingSecond, arrivals: readonly number[]): boolean[] =>
  arrivals.map((at) => ceiling.tryAdmit(at));

/** The rule stated plainly: admit when fewer than `limit` admitted arrivals lie in (at − 1000, at]. */
function expectedAdmissions(limit: number, arrivals: readonly number[]): boolean[] {
  const admitted: number[] = [];
  return arrivals.map((at) => {
    let inWindow = 0;
    for (let i = admitted.length - 1; i >= 0 && (admitted[i] as number) > at - 1000; i--) inWindow++;
    if (inWindow >= limit) return false;
    admitted.push(at);
    return true;
  });
}

/** Non-decreasing arrival times from the gaps between them. */
const arrivalsFrom = (gaps: readonly number[]): number[] => {
  let at = 1_700_000_000_000;
  return gaps.map((gap) => {
    at += gap;
    return at;
  });
};

/** Whole-ms gaps of 30,000 calls, about 70 calls/s. */
const LONG_RUN_GAPS = fc.array(fc.integer({ min: 0, max: 29 }), { minLength: 30_000, maxLength: 30_000 });

describe('SlidingSecond', () => {
  it('counts an admitted call for exactly 1000 ms: gone at t + 1000, still there at t + 999.999', () => {
    // Prepare
    const ceiling = new SlidingSecond(2);

    // Act
    const admitted = admissions(ceiling, [0, 500, 999.999, 1000, 1000, 1499.999, 1500]);

    // Assess
    expect(admitted).toEqual([true, true, false, true, false, false, true]);
  });

  it('does not count refused calls: a client that keeps trying is served once the second slides on', () => {
    // Prepare
    const ceiling = new SlidingSecond(1);

    // Act
    const admitted = admissions(ceiling, [0, 1, 500, 999, 1000, 1001]);

    // Assess
    expect(admitted).toEqual([true, false, false, false, true, false]);
  });

  it('admits calls arriving at the same instant up to the limit', () => {
    // Act
    const admitted = admissions(new SlidingSecond(3), [10, 10, 10, 10]);

    // Assess
    expect(admitted).toEqual([true, true, true, false]);
  });

  it('agrees with the plain rule for any arrivals', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.oneof(fc.constant(0), fc.constant(1000), fc.double({ min: 0, max: 120, noNaN: true })), {
          maxLength: 600,
        }),
        (limit, gaps) => {
          const arrivals = arrivalsFrom(gaps);
          expect(admissions(new SlidingSecond(limit), arrivals)).toEqual(expectedAdmissions(limit, arrivals));
        },
      ),
    );
  });

  it.each([1, 2, 3])('agrees with the plain rule over a long run (seed %i), past compactions', (seed) => {
    // Prepare: 30,000 calls offered at about 70/s against a limit of 50, at irregular whole-ms gaps:
    // some 20,000 admitted calls are dropped again, so the list of arrivals is compacted (past 4096)
    // several times, often while the second is full. Sampled, not shrunk: a failure is a long run.
    const [gaps = []] = fc.sample(LONG_RUN_GAPS, { seed, numRuns: 1 });
    const arrivals = arrivalsFrom(gaps);

    // Act
    const admitted = admissions(new SlidingSecond(50), arrivals);

    // Assess
    expect(admitted).toEqual(expectedAdmissions(50, arrivals));
  });
});
