import { batchesOf } from '../async/batches.ts';
import { TENCENT_MAX_ACCOUNTS } from '../tencent/limits.ts';

/** The distinct values in first-seen order. */
export function uniqueInOrder<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/** Splits `values` into consecutive chunks of at most `size` (default {@link TENCENT_MAX_ACCOUNTS}). */
export function chunk<T>(values: readonly T[], size: number = TENCENT_MAX_ACCOUNTS): T[][] {
  return batchesOf(values, size);
}
