import { describe, expect, it } from 'vitest';
import { TencentApiError, TencentTransportError, UpstreamLockedError } from '../../../shared/errors.ts';
import type { CachePolicy } from '../../../shared/portrait/ports.ts';
import { rejectionOf } from '../../support/rejection-of.ts';
import { answer, refuse, type Step, unreachable } from '../../support/scripted-portrait-client.ts';
import { denied, type ScriptedRateLimiter, unavailable } from '../../support/scripted-rate-limiter.ts';
import { accounts, NICK, served, serviceOnFakes } from '../../support/service-on-fakes.ts';

const TTL_MS = 600_000;
const HOUR_S = 3600;

/** Service parts whose cache keeps values an hour past their freshness, with `wanted` cached and then stale. */
async function withStale(wanted: readonly string[], staleIfErrorSeconds = HOUR_S) {
  const parts = serviceOnFakes({ cache: { staleIfErrorSeconds } });
  await parts.get(wanted);
  parts.clock.advance(TTL_MS + 1000);
  parts.client.calls.length = 0;
  return parts;
}

interface OutageCase {
  label: string;
  steps?: Step[];
  limiter?: (limiter: ScriptedRateLimiter) => void;
  code: number;
}

describe('PortraitService stale-if-error (in-memory parts)', () => {
  describe.each<OutageCase>([
    {
      label: 'Tencent unreachable on every attempt',
      steps: [unreachable(), unreachable(), unreachable()],
      code: 60008,
    },
    {
      label: 'a 5xx on every attempt',
      steps: [unreachable('http-status'), unreachable('http-status'), unreachable('http-status')],
      code: 60008,
    },
    {
      label: 'a timeout',
      steps: [unreachable('timeout'), unreachable('timeout'), unreachable('timeout')],
      code: 60008,
    },
    { label: 'a 70050 lockout', steps: [refuse(70050)], code: 70050 },
    { label: '60007 after the retries', steps: [refuse(60007), refuse(60007), refuse(60007)], code: 60007 },
    { label: 'no call slot before the deadline', limiter: (l) => l.script(denied(700)), code: 60007 },
    { label: 'the rate-limit counter unreachable', limiter: (l) => l.script(unavailable(1000)), code: 70500 },
  ])('$label', ({ steps = [], limiter, code }) => {
    it('answers stale values with 200, and fails only accounts with nothing to serve', async () => {
      // Prepare
      const parts = await withStale(['alice', 'bob']);
      parts.client.script(...steps);
      limiter?.(parts.limiter);

      // Act
      const result = await parts.get(['alice', 'carol', 'bob']);

      // Assess
      expect(result.stale).toEqual(['alice', 'bob']);
      expect(result.stats).toMatchObject({ staleServed: 2, cacheHits: 0, cacheMisses: 3 });
      expect(result.response.UserProfileItem?.[0]).toEqual(served(['alice']).UserProfileItem?.[0]);
      expect(result.response.UserProfileItem?.[1]).toMatchObject({ To_Account: 'carol', ResultCode: code });
      expect(result.response.Fail_Account).toEqual(['carol']);
      expect(result.failure).toMatchObject({ accounts: ['carol'], error: { code } });
    });

    it('fails the request as before when the caller opts out with stale-if-error=0', async () => {
      // Prepare
      const parts = await withStale(['alice']);
      parts.client.script(...steps);
      limiter?.(parts.limiter);

      // Act
      const failure = await rejectionOf(
        parts.get(['alice'], { cache: { mode: 'default', staleIfErrorSeconds: 0 } }),
      );

      // Assess
      expect(failure).toMatchObject({ code });
      expect(parts.stats()).toMatchObject({ staleServed: 0 });
    });
  });

  it('fails the request as before when no account has anything to serve', async () => {
    const parts = await withStale(['alice']);
    parts.client.otherwise = unreachable();

    const failure = await rejectionOf(parts.get(['carol', 'dave']));

    expect(failure).toBeInstanceOf(TencentTransportError);
  });

  it('serves stale through a lockout the instance remembers, calling nobody', async () => {
    const parts = await withStale(['alice']);
    parts.client.script(refuse(70050));
    await rejectionOf(parts.get(['carol']));

    const during = await parts.get(['alice']);

    expect(during.stale).toEqual(['alice']);
    expect(parts.client.calls).toHaveLength(1);
    expect(await rejectionOf(parts.get(['carol']))).toBeInstanceOf(UpstreamLockedError);
  });

  it('never serves stale for a failure that is no outage: a misconfigured deployment is not hidden', async () => {
    const parts = await withStale(['alice']);
    parts.client.script(refuse(60006));

    const failure = await rejectionOf(parts.get(['alice']));

    expect(failure).toBeInstanceOf(TencentApiError);
    expect(failure).toMatchObject({ code: 60006 });
  });

  it('serves nothing older than its window, and narrows it to what the caller asks', async () => {
    const parts = await withStale(['alice']);
    parts.client.otherwise = unreachable();

    const narrowed = await rejectionOf(
      parts.get(['alice'], { cache: { mode: 'default', staleIfErrorSeconds: 1 } }),
    );
    const within = await parts.get(['alice'], { cache: { mode: 'default', staleIfErrorSeconds: 2 } });
    parts.clock.advance(HOUR_S * 1000);
    const past = await rejectionOf(parts.get(['alice']));

    expect(narrowed).toBeInstanceOf(TencentTransportError);
    expect(within.stale).toEqual(['alice']);
    expect(past).toBeInstanceOf(TencentTransportError);
  });

  it.each<CachePolicy>([
    { mode: 'no-cache' },
    { mode: 'no-store' },
    { mode: 'no-store', staleIfErrorSeconds: 60 },
  ])('serves nothing stale for %j', async (policy) => {
    const parts = await withStale(['alice']);
    parts.client.otherwise = unreachable();

    expect(await rejectionOf(parts.get(['alice'], { cache: policy }))).toBeInstanceOf(TencentTransportError);
  });

  it('serves a value even fresh to no-cache when Tencent fails and the caller asked for stale-if-error', async () => {
    const parts = serviceOnFakes({ cache: { staleIfErrorSeconds: HOUR_S } });
    await parts.get(['alice']);
    parts.client.otherwise = unreachable();

    const result = await parts.get(['alice'], { cache: { mode: 'no-cache', staleIfErrorSeconds: 60 } });

    expect(result.response).toEqual(served(['alice']));
    expect(result.stale).toEqual(['alice']);
  });

  it('serves a stale "not found" as Tencent last said it', async () => {
    const parts = serviceOnFakes({ cache: { staleIfErrorSeconds: HOUR_S } });
    parts.client.script(answer({ ghost: 40003 }));
    await parts.get(['ghost']);
    parts.clock.advance(60_000);
    parts.client.otherwise = unreachable();

    const result = await parts.get(['ghost']);

    expect(result.response.UserProfileItem).toEqual([
      { To_Account: 'ghost', ResultCode: 40003, ResultInfo: 'scripted 40003' },
    ]);
    expect(result.stale).toEqual(['ghost']);
  });
});

describe('PortraitService early refresh (in-memory parts)', () => {
  /** A service whose early refresh draws `draw` every time, with `wanted` cached `ageMs` ago. */
  async function cachedFor(ageMs: number, draw: number) {
    const parts = serviceOnFakes({ deps: { earlyRefreshMs: 1000, random: () => draw } });
    await parts.get(['alice']);
    parts.clock.advance(ageMs);
    parts.client.calls.length = 0;
    return parts;
  }

  it('refreshes an entry near its expiry when the draw says so, and stores the new value', async () => {
    // exp(-1000 / 1000) ≈ 0.37: a draw of 0.3 refreshes an entry fresh for one more second.
    const parts = await cachedFor(TTL_MS - 1000, 0.3);
    const refreshedAt = parts.clock.now();

    const result = await parts.get(['alice']);

    expect(parts.client.calls).toHaveLength(1);
    expect(result.stats).toMatchObject({ earlyRefreshes: 1, cacheHits: 0, cacheMisses: 1 });
    expect(parts.cache.writes.at(-1)?.fetchedAtMs).toBe(refreshedAt);
  });

  it('serves the entry when the draw says no', async () => {
    const parts = await cachedFor(TTL_MS - 1000, 0.4);

    const result = await parts.get(['alice']);

    expect(parts.client.calls).toHaveLength(0);
    expect(result.stats).toMatchObject({ earlyRefreshes: 0, cacheHits: 1 });
  });

  it('answers from the entry, still fresh and not stale, when the early refresh fails for any reason', async () => {
    const parts = await cachedFor(TTL_MS - 1000, 0.01);
    parts.client.script(refuse(60006));

    const result = await parts.get(['alice']);

    expect(result.response).toEqual(served(['alice']));
    expect(result.stale).toEqual([]);
    expect(result.stats.staleServed).toBe(0);
  });
});

describe('PortraitService single flight (in-memory parts)', () => {
  it('makes one call for 50 concurrent requests of one uncached account, and answers each', async () => {
    const parts = serviceOnFakes();

    const results = await Promise.all(Array.from({ length: 50 }, () => parts.get(['alice'])));

    expect(parts.client.calls).toHaveLength(1);
    for (const result of results) expect(result.response).toEqual(served(['alice']));
    expect(results.filter((result) => result.stats.flightsJoined === 1)).toHaveLength(49);
    expect(parts.service.inFlight).toBe(0);
  });

  it('shares a flight among requests whose tags are the same set, not with other tags', async () => {
    const parts = serviceOnFakes();

    await Promise.all([
      parts.get(['alice'], { tags: [NICK, 'Tag_Profile_IM_Gender'] }),
      parts.get(['alice'], { tags: ['Tag_Profile_IM_Gender', NICK] }),
      parts.get(['alice'], { tags: [NICK] }),
    ]);

    expect(parts.client.calls).toHaveLength(2);
  });

  it('shares the failure too, and forgets a failed flight at once', async () => {
    const parts = serviceOnFakes();
    parts.client.otherwise = refuse(60006);

    const failures = await Promise.all(Array.from({ length: 5 }, () => rejectionOf(parts.get(['alice']))));
    parts.client.otherwise = answer();
    const after = await parts.get(['alice']);

    expect(failures.every((failure) => (failure as TencentApiError).code === 60006)).toBe(true);
    expect(parts.client.calls).toHaveLength(2);
    expect(after.response).toEqual(served(['alice']));
  });

  it('lets no-cache lead its own flight, and no-store take no part', async () => {
    const parts = serviceOnFakes();

    await Promise.all([
      parts.get(['alice']),
      parts.get(['alice'], { cache: { mode: 'no-cache' } }),
      parts.get(['alice'], { cache: { mode: 'no-store' } }),
      parts.get(['alice']),
    ]);

    expect(parts.client.calls).toHaveLength(3);
  });

  describe.each<{ label: string; policies: CachePolicy[]; calls: number }>([
    {
      label: 'a max-age request joins the flight a plain one leads',
      policies: [{ mode: 'default' }, { mode: 'max-age', maxAgeSeconds: 60 }],
      calls: 1,
    },
    {
      label: 'a plain request joins the flight a max-age one leads',
      policies: [{ mode: 'max-age', maxAgeSeconds: 60 }, { mode: 'default' }],
      calls: 1,
    },
    {
      label: 'a plain request does not wait for a no-store one, which stores nothing',
      policies: [{ mode: 'no-store' }, { mode: 'default' }],
      calls: 2,
    },
  ])('$label', ({ policies, calls }) => {
    it(`makes ${calls} call(s) and answers each`, async () => {
      const parts = serviceOnFakes();

      const results = await Promise.all(policies.map((cache) => parts.get(['alice'], { cache })));

      expect(parts.client.calls).toHaveLength(calls);
      for (const result of results) expect(result.response).toEqual(served(['alice']));
    });
  });
});

describe('PortraitService and the cache write', () => {
  it('answers what it fetched when the write runs out of time, and counts what it dropped', async () => {
    const parts = serviceOnFakes();
    parts.cache.writeMs = 10_000;
    const wanted = accounts(150);

    const result = await parts.get(wanted);

    expect(result.response).toEqual(served(wanted));
    expect(result.stats.cacheWritesDropped).toBe(150);
    expect(parts.cache.writes.map((write) => write.deadlineMs)).toEqual([parts.clock.now() + 5000]);
    expect(await parts.cached(wanted)).toEqual([]);
  });
});
