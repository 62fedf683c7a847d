import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from '../../../shared/async/concurrency-limit.ts';

describe('ConcurrencyLimit', () => {
  it('runs every task of every caller, never more than the limit at once, in the order they came', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 6 }),
        async (limit, callers) => {
          const slots = new ConcurrencyLimit(limit);
          let running = 0;
          let mostAtOnce = 0;
          const started: string[] = [];
          const task = (name: string) => async () => {
            started.push(name);
            running += 1;
            mostAtOnce = Math.max(mostAtOnce, running);
            await new Promise((resolve) => setImmediate(resolve));
            running -= 1;
            return name;
          };
          const names = callers.flatMap((count, caller) =>
            Array.from({ length: count }, (_, i) => `${caller}.${i}`),
          );

          const results = await Promise.all(names.map((name) => slots.run(task(name))));

          expect(results).toEqual(names);
          expect(started).toEqual(names);
          expect(mostAtOnce).toBeLessThanOrEqual(limit);
        },
      ),
    );
  });

  it('frees the slot of a task that failed', async () => {
    const slots = new ConcurrencyLimit(1);

    const failed = slots.run(async () => {
      throw new Error('no');
    });
    const next = slots.run(async () => 'ran');

    await expect(failed).rejects.toThrow('no');
    expect(await next).toBe('ran');
  });

  it('gives up the wait of a task whose signal aborts: it never runs, and the others keep their turns', async () => {
    // Prepare
    const slots = new ConcurrencyLimit(1);
    let release = () => {};
    const first = slots.run(() => new Promise<string>((resolve) => (release = () => resolve('first'))));
    const deadline = new AbortController();
    const ran: string[] = [];
    const late = slots.run(async () => {
      ran.push('late');
    }, deadline.signal);
    const next = slots.run(async () => {
      ran.push('next');
    });

    // Act
    deadline.abort(new Error('past its deadline'));

    // Assess
    await expect(late).rejects.toThrow('past its deadline');
    release();
    expect(await first).toBe('first');
    await next;
    expect(ran).toEqual(['next']);
  });

  it('runs no task whose signal has already aborted', async () => {
    const slots = new ConcurrencyLimit(2);
    let ran = false;

    const refused = slots.run(
      async () => {
        ran = true;
      },
      AbortSignal.abort(new Error('too late')),
    );

    await expect(refused).rejects.toThrow('too late');
    expect(ran).toBe(false);
  });
});
