import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchesOf } from '../../../shared/async/batches.ts';

describe('batchesOf', () => {
  it('splits any list into the fewest consecutive batches of at most `size` that concatenate back to it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { maxLength: 500 }),
        fc.integer({ min: 1, max: 120 }),
        (values, size) => {
          const batches = batchesOf(values, size);

          expect(batches.flat()).toEqual(values);
          expect(batches.every((batch) => batch.length >= 1 && batch.length <= size)).toBe(true);
          expect(batches.length).toBe(Math.ceil(values.length / size));
        },
      ),
    );
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a batch size of %s', (size) => {
    expect(() => batchesOf([1], size)).toThrow(RangeError);
  });
});
