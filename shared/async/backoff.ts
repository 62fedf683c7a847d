/**
 * The wait before retry number `retry` (from 1): doubling from `firstMs`, with equal jitter (half
 * fixed, half random) so that instances throttled together do not retry in step.
 */
export function jitteredBackoffMs(
  retry: number,
  firstMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = firstMs * 2 ** (retry - 1);
  return ceiling / 2 + (random() * ceiling) / 2;
}
