import { describe, expect, it } from 'vitest';
import type { CacheEntry } from '../../../shared/portrait/ports.ts';
import { planRead } from '../../../shared/portrait/read-plan.ts';

const entry = (account: string, freshForMs: number): CacheEntry => ({
  item: { To_Account: account, ProfileItem: [], ResultCode: 0, ResultInfo: '' },
  freshForMs,
});

describe('planRead', () => {
  const entries = new Map([
    ['fresh', entry('fresh', 60_000)],
    ['expiring', entry('expiring', 10)],
    ['stale', entry('stale', -10)],
  ]);

  it('answers fresh entries, fetches the rest in request order, and keeps what the cache had as fallback', () => {
    const plan = planRead(['stale', 'miss', 'fresh', 'expiring'], entries, 0, () => 0.5);

    expect([...plan.hits.keys()]).toEqual(['fresh', 'expiring']);
    expect(plan.fetch).toEqual(['stale', 'miss']);
    expect([...plan.fallback.keys()]).toEqual(['stale']);
    expect(plan.earlyRefreshes).toBe(0);
  });

  it('fetches a fresh entry the draw picks for an early refresh, keeping it as fallback', () => {
    // With a scale of 1000 ms: exp(-10/1000) ≈ 0.99 for "expiring", exp(-60) for "fresh".
    const plan = planRead(['fresh', 'expiring'], entries, 1000, () => 0.5);

    expect([...plan.hits.keys()]).toEqual(['fresh']);
    expect(plan.fetch).toEqual(['expiring']);
    expect(plan.fallback.get('expiring')).toEqual(entry('expiring', 10));
    expect(plan.earlyRefreshes).toBe(1);
  });
});
