import type { ServeStats } from '../portrait/portrait-result.ts';

const ms = (value: number): string => (Math.round(value * 10) / 10).toString();

/**
 * Reply headers that say how a request was served: `X-Cache-Hits`, `X-Cache-Misses`,
 * `X-Upstream-Calls` for scripts, `X-Cache-Stale` only when some accounts were answered stale
 * because Tencent could not answer (docs/api.md, "Caching"), and `Server-Timing` (total time, time
 * waiting for call slots, and the same counts) for browsers' and tools' timing views.
 */
export function serveHeaders(stats: ServeStats, totalMs: number): Record<string, string> {
  return {
    ...(stats.staleServed > 0 && { 'X-Cache-Stale': String(stats.staleServed) }),
    'X-Cache-Hits': String(stats.cacheHits),
    'X-Cache-Misses': String(stats.cacheMisses),
    'X-Upstream-Calls': String(stats.upstreamCalls),
    'Server-Timing': [
      `total;dur=${ms(totalMs)}`,
      `slot;dur=${ms(stats.slotWaitMs)};desc="waiting for call slots"`,
      `cache;desc="${stats.cacheHits} hits ${stats.cacheMisses} misses"`,
      `upstream;desc="${stats.upstreamCalls} calls"`,
    ].join(', '),
  };
}
