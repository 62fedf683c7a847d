import { describe, expect, it } from 'vitest';
import { serveHeaders } from '../../../shared/http/serve-headers.ts';
import type { ServeStats } from '../../../shared/portrait/portrait-result.ts';

const stats = (overrides: Partial<ServeStats> = {}): ServeStats => ({
  accounts: 5,
  cacheHits: 3,
  cacheMisses: 2,
  upstreamCalls: 1,
  upstreamErrors: {},
  slotWaitMs: 4.56,
  slotDenied: 0,
  staleServed: 0,
  earlyRefreshes: 0,
  flightsJoined: 0,
  cacheWritesDropped: 0,
  ...overrides,
});

describe('serveHeaders', () => {
  it('reports hits, misses and upstream calls as plain counts', () => {
    const headers = serveHeaders(stats(), 12.34);

    expect(headers['X-Cache-Hits']).toBe('3');
    expect(headers['X-Cache-Misses']).toBe('2');
    expect(headers['X-Upstream-Calls']).toBe('1');
  });

  it('says how many accounts were answered stale, and only when some were', () => {
    const fresh = serveHeaders(stats(), 1);
    const stale = serveHeaders(stats({ staleServed: 2 }), 1);

    expect(fresh['X-Cache-Stale']).toBeUndefined();
    expect(stale['X-Cache-Stale']).toBe('2');
  });

  it('writes a Server-Timing header of well-formed metrics', () => {
    const headers = serveHeaders(stats(), 12.34);

    const metrics = headers['Server-Timing']?.split(', ') ?? [];
    expect(metrics.map((metric) => metric.split(';')[0])).toEqual(['total', 'slot', 'cache', 'upstream']);
    for (const metric of metrics) expect(metric).toMatch(/^[a-z]+(;dur=\d+(\.\d)?)?(;desc="[^"]*")?$/);
    expect(headers['Server-Timing']).toContain('total;dur=12.3');
    expect(headers['Server-Timing']).toContain('slot;dur=4.6');
  });
});
