/**
 * Splits `values` into consecutive batches of at most `size`, in order: the most one call of an
 * API carries (BatchGetItem's keys, portrait_get's accounts).
 */
export function batchesOf<T>(values: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`batch size must be a positive integer, got ${size}`);
  const batches: T[][] = [];
  for (let start = 0; start < values.length; start += size) batches.push(values.slice(start, start + size));
  return batches;
}
