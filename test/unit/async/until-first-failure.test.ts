import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { untilFirstFailure } from '../../../shared/async/until-first-failure.ts';

/** A task that records how many run at once, and fails on the items in `failOn`. */
const observedTask = (failOn: ReadonlySet<number> = new Set()) => {
  const started: number[] = [];
  let running = 0;
  let mostAtOnce = 0;
  const task = async (item: number) => {
    started.push(item);
    running += 1;
    mostAtOnce = Math.max(mostAtOnce, running);
    await new Promise((resolve) => setImmediate(resolve));
    running -= 1;
    if (failOn.has(item)) throw new Error(`item ${item} failed`);
  };
  return { task, started, mostAtOnce: () => mostAtOnce };
};

describe('untilFirstFailure', () => {
  it('runs every item once, never more than `concurrency` at once, and resolves to nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 30 }),
        async (n, concurrency) => {
          const items = Array.from({ length: n }, (_, i) => i);
          const observed = observedTask();

          const failure = await untilFirstFailure(items, concurrency, observed.task);

          expect(failure).toBeUndefined();
          expect([...observed.started].sort((a, b) => a - b)).toEqual(items);
          expect(observed.mostAtOnce()).toBe(Math.min(n, concurrency));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('stops starting tasks after the first failure and resolves to it', async () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const observed = observedTask(new Set([3, 4]));

    const failure = await untilFirstFailure(items, 2, observed.task);

    expect(failure?.error).toEqual(new Error('item 3 failed'));
    expect(observed.started.length).toBeLessThan(10);
  });

  it('never rejects, even when every task fails', async () => {
    const failure = await untilFirstFailure([1, 2, 3], 3, async () => {
      throw new Error('down');
    });

    expect(failure).toEqual({ error: new Error('down') });
  });
});
