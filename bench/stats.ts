/** The value below which `p` percent of `values` fall (nearest rank); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** The median of `values`. */
export const median = (values: readonly number[]): number => percentile(values, 50);

/** `n` with `digits` decimals, as a table cell. */
export const fixed = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** The largest deviation of one of `shares` from their mean, as a fraction of the mean. */
export function shareSpread(shares: readonly number[]): number {
  const equal = shares.reduce((sum, n) => sum + n, 0) / shares.length;
  return Math.max(...shares.map((n) => Math.abs(n / equal - 1)));
}
