/**
 * Probabilistic early refresh: XFetch of Vattani, Chierichetti and Lowenstein, "Optimal
 * Probabilistic Cache Stampede Prevention" (VLDB 2015), docs/cache.md, "Early refresh".
 *
 * A read of an entry that is still fresh for `freshForMs` refreshes it anyway when
 * `-scaleMs × ln(u) ≥ freshForMs` for a uniform draw `u` in (0, 1], that is with probability
 * `exp(-freshForMs / scaleMs)`. `scaleMs` is the paper's δ·β: δ the time a refresh takes, β ≥ 1 how
 * early to start. The chance rises from nothing to certainty as expiry nears, so a hot account is
 * refreshed by about one reader shortly before it expires instead of by every reader after it,
 * and an account read rarely is almost never refreshed early.
 */

/** Whether a read with draw `u` (uniform in [0, 1)) refreshes an entry fresh for `freshForMs` more. */
export function refreshesEarly(freshForMs: number, scaleMs: number, u: number): boolean {
  if (scaleMs <= 0) return freshForMs <= 0;
  return -scaleMs * Math.log(u) >= freshForMs;
}

/** The chance that one read refreshes an entry fresh for `freshForMs` more: `exp(-freshForMs / scaleMs)`, capped at 1. */
export function earlyRefreshChance(freshForMs: number, scaleMs: number): number {
  if (freshForMs <= 0) return 1;
  return scaleMs <= 0 ? 0 : Math.exp(-freshForMs / scaleMs);
}
