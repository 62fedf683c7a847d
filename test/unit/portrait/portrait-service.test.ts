import { describe, expect, it } from 'vitest';
import {
  DependencyError,
  InvalidRequestError,
  NoSlotError,
  TENCENT_LOCKOUT_MS,
  TencentApiError,
  TencentProtocolError,
  TencentTransportError,
  UpstreamLockedError,
} from '../../../shared/errors.ts';
import type { ServeStats } from '../../../shared/portrait/portrait-result.ts';
import { PortraitService } from '../../../shared/portrait/portrait-service.ts';
import { rejectionOf } from '../../support/rejection-of.ts';
import {
  answer,
  garbled,
  invalid,
  refuse,
  type Step,
  unreachable,
} from '../../support/scripted-portrait-client.ts';
import { denied, granted, unavailable } from '../../support/scripted-rate-limiter.ts';
import { APP, accounts, GENDER, NICK, served, serviceOnFakes } from '../../support/service-on-fakes.ts';

/** The service's default; the backoffs expected below are computed from its 50 ms and 3 attempts. */
const MIN_CALL_MS = 150;
const CUSTOM = 'Tag_Profile_Custom_Team';

type ErrorClass = abstract new (...args: never[]) => Error;

interface RecoveryCase {
  label: string;
  /** How successive calls are answered; unscripted calls succeed. */
  steps: Step[];
  /** Time left before the deadline when the request starts. Default 5000 ms. */
  withinMs?: number;
  /** How long each call takes. Default 0. */
  callMs?: number;
  /** The error the request fails with, or none: it is answered in full. */
  error?: { type: ErrorClass; code: number };
  calls: number;
  sleeps: number[];
  renewals?: number;
  reloads?: number;
}

describe('PortraitService recovery (one account, in-memory parts)', () => {
  describe.each<RecoveryCase>([
    // retry: transient on Tencent's side, doubling backoff from 50 ms, at most 3 attempts.
    { label: 'retry: a transport failure, then OK', steps: [unreachable()], calls: 2, sleeps: [50] },
    {
      label: 'retry: a whole-call 40006 twice, then OK on the last attempt',
      steps: [refuse(40006), refuse(40006)],
      calls: 3,
      sleeps: [50, 100],
    },
    {
      label: 'retry: a garbled reply on every attempt: the last one',
      steps: [garbled, garbled, garbled],
      error: { type: TencentProtocolError, code: 70500 },
      calls: 3,
      sleeps: [50, 100],
    },
    {
      label: 'retry: a timeout, and a call too slow to leave time for the backoff',
      steps: [unreachable('timeout')],
      withinMs: 160,
      callMs: 120,
      error: { type: TencentTransportError, code: 60008 },
      calls: 1,
      sleeps: [],
    },
    {
      label: 'retry: a second backoff would end with less than minCallMs left: the last error, at once',
      steps: [unreachable(), unreachable()],
      withinMs: 400,
      callMs: 100,
      error: { type: TencentTransportError, code: 60008 },
      calls: 2,
      sleeps: [50],
    },
    // rate-limited: backoff four times as long.
    { label: 'rate-limited: 60007 once, then OK', steps: [refuse(60007)], calls: 2, sleeps: [200] },
    {
      label: 'rate-limited: 60007 on every attempt',
      steps: [refuse(60007), refuse(60007), refuse(60007)],
      error: { type: TencentApiError, code: 60007 },
      calls: 3,
      sleeps: [200, 400],
    },
    {
      label: 'rate-limited: 60011 with no time for the 200 ms backoff',
      steps: [refuse(60011)],
      withinMs: 180,
      error: { type: TencentApiError, code: 60011 },
      calls: 1,
      sleeps: [],
    },
    // resign: a new UserSig, once per request, no backoff.
    { label: 'resign: 70001, then OK', steps: [refuse(70001)], calls: 2, sleeps: [], renewals: 1 },
    {
      label: 'resign: 70001 again after signing anew',
      steps: [refuse(70001), refuse(70001)],
      error: { type: TencentApiError, code: 70001 },
      calls: 2,
      sleeps: [],
      renewals: 1,
    },
    {
      label: 'resign: 70052, then a 70005 with the credentials already refreshed',
      steps: [refuse(70052), refuse(70005)],
      error: { type: TencentApiError, code: 70005 },
      calls: 2,
      sleeps: [],
      renewals: 1,
    },
    {
      label: 'resign: a transient failure after signing anew is still retried',
      steps: [refuse(70001), unreachable()],
      calls: 3,
      sleeps: [50],
      renewals: 1,
    },
    {
      label: 'resign: a 70001 after signing anew and a transient failure',
      steps: [refuse(70001), unreachable(), refuse(70001)],
      error: { type: TencentApiError, code: 70001 },
      calls: 3,
      sleeps: [50],
      renewals: 1,
    },
    // reload-credentials: re-read the secret, once per request.
    { label: 'reload-credentials: 70005, then OK', steps: [refuse(70005)], calls: 2, sleeps: [], reloads: 1 },
    {
      label: 'reload-credentials: 70009, then 70003 with the credentials already reloaded',
      steps: [refuse(70009), refuse(70003)],
      error: { type: TencentApiError, code: 70003 },
      calls: 2,
      sleeps: [],
      reloads: 1,
    },
    {
      label: 'reload-credentials: on the last transient attempt a 70002 costs no attempt',
      steps: [unreachable(), unreachable(), refuse(70002)],
      calls: 4,
      sleeps: [50, 100],
      reloads: 1,
    },
    {
      label: 'reload-credentials: after the reload the attempts are still counted',
      steps: [unreachable(), unreachable(), refuse(70002), unreachable()],
      error: { type: TencentTransportError, code: 60008 },
      calls: 4,
      sleeps: [50, 100],
      reloads: 1,
    },
    // wait-minute, fatal-config, fatal-request: final at once.
    {
      label: 'wait-minute: 70050',
      steps: [refuse(70050)],
      error: { type: TencentApiError, code: 70050 },
      calls: 1,
      sleeps: [],
    },
    {
      label: 'fatal-config: 60006',
      steps: [refuse(60006)],
      error: { type: TencentApiError, code: 60006 },
      calls: 1,
      sleeps: [],
    },
    {
      label: 'fatal-config: 70016 on the second attempt',
      steps: [unreachable(), refuse(70016)],
      error: { type: TencentApiError, code: 70016 },
      calls: 2,
      sleeps: [50],
    },
    {
      label: 'fatal-config: a code the gateway does not know',
      steps: [refuse(99_999)],
      error: { type: TencentApiError, code: 99_999 },
      calls: 1,
      sleeps: [],
    },
    {
      label: 'fatal-request: 40001 from Tencent',
      steps: [refuse(40001)],
      error: { type: TencentApiError, code: 40001 },
      calls: 1,
      sleeps: [],
    },
    {
      label: 'fatal-request: the client refuses the request itself',
      steps: [invalid],
      error: { type: InvalidRequestError, code: 40001 },
      calls: 1,
      sleeps: [],
    },
  ])('$label', ({ steps, withinMs, callMs = 0, error, calls, sleeps, renewals = 0, reloads = 0 }) => {
    it(error ? `fails with ${error.code} after ${calls} calls` : `answers after ${calls} calls`, async () => {
      // Prepare
      const parts = serviceOnFakes();
      parts.client.script(...steps);
      parts.client.callMs = callMs;

      // Act
      const outcome = await parts.get(['alice'], withinMs === undefined ? {} : { withinMs }).then(
        (result) => ({ result }),
        (failure: unknown) => ({ failure }),
      );
      parts.client.callMs = 0;

      // Assess
      if (error) {
        expect('failure' in outcome && outcome.failure).toBeInstanceOf(error.type);
        expect(outcome).toMatchObject({ failure: { code: error.code } });
        expect(await parts.cached(['alice'])).toEqual([]);
      } else {
        expect(outcome).toEqual({ result: expect.objectContaining({ response: served(['alice']) }) });
        expect(await parts.cached(['alice'])).toEqual(['alice']);
      }
      expect(parts.client.calls).toHaveLength(calls);
      expect(parts.clock.sleeps).toEqual(sleeps);
      expect({ renewals: parts.client.renewals, reloads: parts.client.reloads }).toEqual({
        renewals,
        reloads,
      });
    });
  });

  it('counts every failed attempt by code, and tells its stats even when it fails', async () => {
    const parts = serviceOnFakes();
    parts.client.script(unreachable(), refuse(60007), unreachable());

    const failure = await rejectionOf(parts.get(['alice']));

    expect(failure).toBeInstanceOf(TencentTransportError);
    expect(parts.stats()).toMatchObject({ upstreamCalls: 3, upstreamErrors: { 60008: 2, 60007: 1 } });
  });

  it('rethrows what is no TencentError as it is', async () => {
    const parts = serviceOnFakes();
    const bug = new TypeError('a bug in the client');
    parts.client.script(() => {
      throw bug;
    });

    expect(await rejectionOf(parts.get(['alice']))).toBe(bug);
  });
});

describe('PortraitService and the deadline', () => {
  it('takes no slot and makes no call when less than minCallMs is left', async () => {
    const parts = serviceOnFakes();
    const deadlineMs = parts.clock.now() + MIN_CALL_MS - 1;

    const failure = await rejectionOf(parts.service.get(['alice'], [NICK], { deadlineMs }));

    expect(failure).toBeInstanceOf(NoSlotError);
    expect(parts.limiter.lines).toEqual([
      { sdkAppId: APP, calls: 1, deadlineMs: deadlineMs - MIN_CALL_MS, closed: true },
    ]);
    expect(parts.limiter.slotsGranted).toBe(0);
    expect(parts.client.calls).toEqual([]);
  });

  it('asks for slots only until the deadline less minCallMs', async () => {
    const parts = serviceOnFakes({ deps: { minCallMs: 400 } });

    await parts.get(['alice'], { withinMs: 1000 });

    expect(parts.limiter.lines[0]?.deadlineMs).toBe(parts.clock.now() + 600);
  });

  it('answers with the last upstream error, not "no slot", when a retry finds no slot', async () => {
    const parts = serviceOnFakes();
    parts.client.script(refuse(60018));
    parts.limiter.script(granted, denied(700));

    const failure = await rejectionOf(parts.get(['alice']));

    expect(failure).toMatchObject({ code: 60018, disposition: 'rate-limited' });
    expect(parts.client.calls).toHaveLength(1);
  });
});

describe('PortraitService and the limiter', () => {
  it('answers NoSlotError with the retryAfter the limiter gave, calling nobody', async () => {
    const parts = serviceOnFakes();
    parts.limiter.script(denied(350));

    const failure = await rejectionOf(parts.get(['alice']));

    expect(failure).toBeInstanceOf(NoSlotError);
    expect((failure as NoSlotError).retryAfterMs).toBe(350);
    expect(parts.client.calls).toEqual([]);
    expect(parts.stats()).toMatchObject({ slotDenied: 1, upstreamCalls: 0 });
  });

  it('counts no denied slot when every call of every wave got one', async () => {
    const parts = serviceOnFakes();

    await parts.get(accounts(250));

    expect(parts.stats()).toMatchObject({ slotDenied: 0, upstreamCalls: 3 });
  });

  it('answers a DependencyError of the table when the limiter is unavailable, calling nobody', async () => {
    const parts = serviceOnFakes();
    parts.limiter.script(unavailable(2_500));

    const failure = await rejectionOf(parts.get(['alice']));

    expect(failure).toBeInstanceOf(DependencyError);
    expect(failure).toMatchObject({ dependency: 'table', code: 70500, retryAfterMs: 2_500 });
    expect(parts.client.calls).toEqual([]);
  });

  it('joins the line once for all its calls, and calls in waves of at most `concurrency`, each under its own slot', async () => {
    const parts = serviceOnFakes({ deps: { concurrency: 4 } });
    parts.client.callMs = 1;
    const wanted = accounts(650);
    const start = parts.clock.now();

    const { response } = await parts.get(wanted);

    expect(parts.limiter.lines).toEqual([
      { sdkAppId: APP, calls: 7, deadlineMs: expect.any(Number), closed: true },
    ]);
    // The second wave asks once the first wave's 4 calls (1 ms each) are done.
    expect(parts.limiter.askedAt.map((at) => at - start)).toEqual([0, 0, 0, 0, 4, 4, 4]);
    expect(parts.limiter.slotsGranted).toBe(7);
    expect(parts.client.calls.map((call) => call.accounts.length)).toEqual([
      100, 100, 100, 100, 100, 100, 50,
    ]);
    expect(response).toEqual(served(wanted));
  });

  it('leaves the line when a call fails for good, so later requests are not kept waiting behind it', async () => {
    const parts = serviceOnFakes();
    parts.client.script(invalid);

    await rejectionOf(parts.get(['alice']));

    expect(parts.limiter.lines.map((line) => line.closed)).toEqual([true]);
  });

  it('signs anew once for every call of a wave that failed on the UserSig', async () => {
    const parts = serviceOnFakes();
    parts.client.script(refuse(70001), refuse(70001), refuse(70001));

    const { response } = await parts.get(accounts(300));

    expect(parts.client.renewals).toBe(1);
    expect(parts.client.calls).toHaveLength(6);
    expect(response.Fail_Account).toBeUndefined();
  });
});

describe('PortraitService and per-account failures', () => {
  it('searches a whole-call 40003 for the unknown account, asks it alone, and caches it as not found', async () => {
    // Prepare
    const parts = serviceOnFakes();
    parts.client.otherwise = (call) =>
      call.accounts.includes('ghost') ? refuse(40003)(call) : answer()(call);
    const wanted = ['a', 'b', 'ghost', 'd', 'e'];

    // Act
    const { response } = await parts.get(wanted);
    const again = await parts.get(['ghost']);

    // Assess: the first half holds it; its first half does not; so it is asked alone; then the rest.
    expect(parts.client.calls.map((call) => call.accounts)).toEqual([
      wanted,
      ['a', 'b', 'ghost'],
      ['a', 'b'],
      ['ghost'],
      ['d', 'e'],
    ]);
    expect(response.Fail_Account).toEqual(['ghost']);
    expect(response.UserProfileItem?.[2]).toEqual({
      To_Account: 'ghost',
      ResultCode: 40003,
      ResultInfo: 'scripted 40003',
    });
    expect(again.response.UserProfileItem).toEqual([response.UserProfileItem?.[2]]);
    expect(parts.client.calls).toHaveLength(5);
    expect(parts.clock.sleeps).toEqual([]);
  });

  it('spends at most 20 calls on 100 accounts that are all unknown; those not isolated are reported, not cached', async () => {
    // Prepare
    const parts = serviceOnFakes();
    parts.client.otherwise = refuse(40003);
    const wanted = accounts(100, 'ghost');

    // Act
    const { response } = await parts.get(wanted);

    // Assess
    const items = response.UserProfileItem ?? [];
    const notFound = items.filter((item) => item.ResultCode === 40003).map((item) => item.To_Account);
    const unresolved = items.filter((item) => item.ResultCode === 70500);
    expect(parts.client.calls.length).toBeLessThanOrEqual(20);
    expect(response.Fail_Account).toEqual(wanted);
    expect(notFound.length + unresolved.length).toBe(100);
    expect(notFound.length).toBeGreaterThan(0);
    expect(unresolved[0]?.ResultInfo).toContain('could not all be isolated');
    for (const account of notFound)
      expect(
        parts.client.calls.some((call) => call.accounts.length === 1 && call.accounts[0] === account),
      ).toBe(true);
    const kept = await parts.cache.read(APP, wanted, [NICK], { mode: 'default' });
    expect([...kept.keys()].sort()).toEqual([...notFound].sort());
  });

  it('finds a few unknown accounts among 1000 with about log2(100) calls each', async () => {
    // Prepare
    const parts = serviceOnFakes();
    const ghosts = new Set(['user17', 'user480', 'user481', 'user999']);
    parts.client.otherwise = (call) =>
      call.accounts.some((account) => ghosts.has(account)) ? refuse(40003)(call) : answer()(call);
    const wanted = accounts(1000);

    // Act
    const { response } = await parts.get(wanted);

    // Assess: 10 calls of 100, and at most ⌈log2 100⌉ + 2 more for each unknown account.
    expect(response.Fail_Account?.toSorted()).toEqual([...ghosts].sort());
    expect(response.UserProfileItem?.filter((item) => item.ResultCode === 0)).toHaveLength(996);
    expect(parts.client.calls.length).toBeLessThanOrEqual(10 + ghosts.size * 9);
    expect(await parts.cached([...ghosts])).toEqual([...ghosts]);
  });

  it('retries accounts that failed with 40006 once, and reports them when they fail again', async () => {
    const parts = serviceOnFakes();
    parts.client.script(answer({ bob: 40006 }), answer({ bob: 40006 }));

    const { response } = await parts.get(['alice', 'bob']);

    expect(parts.client.calls.map((call) => call.accounts)).toEqual([['alice', 'bob'], ['bob']]);
    expect(response.Fail_Account).toEqual(['bob']);
    expect(response.UserProfileItem?.[1]).toMatchObject({ To_Account: 'bob', ResultCode: 40006 });
    expect(await parts.cached(['alice', 'bob'])).toEqual(['alice']);
  });

  it('recovers accounts whose 40006 passed on the retry, without reporting them', async () => {
    const parts = serviceOnFakes();
    parts.client.script(answer({ bob: 40006, carol: 40006 }));

    const { response } = await parts.get(['alice', 'bob', 'carol']);

    expect(response).toEqual(served(['alice', 'bob', 'carol']));
    expect(parts.client.calls.map((call) => call.accounts)).toEqual([
      ['alice', 'bob', 'carol'],
      ['bob', 'carol'],
    ]);
  });

  it('caches a per-account 40003 briefly, and never other per-account failures', async () => {
    const parts = serviceOnFakes();
    parts.client.script(answer({ bob: 40003, carol: 40004 }));

    await parts.get(['alice', 'bob', 'carol']);
    const within = await parts.get(['alice', 'bob']);
    parts.clock.advance(60_000);
    await parts.get(['bob']);

    expect(await parts.cached(['alice', 'bob', 'carol'])).toEqual(['alice', 'bob']);
    expect(within.response.UserProfileItem?.[1]).toMatchObject({ ResultCode: 40003 });
    expect(parts.client.calls.map((call) => call.accounts)).toEqual([['alice', 'bob', 'carol'], ['bob']]);
  });
});

describe('PortraitService remembers refusals', () => {
  describe.each([40007, 40009])('a tag list with a custom tag refused with %i', (code) => {
    it('is answered from memory for a minute, then asked of Tencent again', async () => {
      const parts = serviceOnFakes();
      parts.client.script(refuse(code));

      const first = await rejectionOf(parts.get(['alice'], { tags: [NICK, CUSTOM] }));
      parts.clock.advance(59_999);
      const again = await rejectionOf(parts.get(['bob'], { tags: [CUSTOM, NICK] }));
      const otherTags = await parts.get(['bob'], { tags: [NICK] });
      parts.clock.advance(1);
      parts.client.script(refuse(code));
      const later = await rejectionOf(parts.get(['bob'], { tags: [NICK, CUSTOM] }));

      expect(first).toMatchObject({ code });
      expect(again).toBe(first);
      expect(otherTags.response).toEqual(served(['bob']));
      expect(later).not.toBe(first);
      expect(later).toMatchObject({ code });
      expect(parts.client.calls.map((call) => call.tags)).toEqual([[NICK, CUSTOM], [NICK], [NICK, CUSTOM]]);
    });
  });

  describe.each([40007, 40009])('standard tags only refused with %i', (code) => {
    it("is Tencent's transient error: retried, and never remembered", async () => {
      const parts = serviceOnFakes();
      parts.client.script(refuse(code), refuse(code), refuse(code));

      const failure = await rejectionOf(parts.get(['alice'], { tags: [NICK, GENDER] }));
      const next = await parts.get(['alice'], { tags: [NICK, GENDER] });

      expect(failure).toMatchObject({ code, disposition: 'retry' });
      expect(next.response).toEqual(served(['alice'], [NICK, GENDER]));
      expect(parts.client.calls).toHaveLength(3 + 1);
      expect(parts.clock.sleeps).toEqual([50, 100]);
    });
  });

  it('after a 70050 lockout calls Tencent for nothing for a minute, but still serves the cache', async () => {
    const parts = serviceOnFakes();
    await parts.get(['alice']);
    parts.client.script(refuse(70050));
    const lockout = await rejectionOf(parts.get(['bob']));

    parts.clock.advance(1000);
    const during = await rejectionOf(parts.get(['carol']));
    const fromCache = await parts.get(['alice']);
    parts.clock.advance(TENCENT_LOCKOUT_MS - 1000);
    const after = await parts.get(['carol']);

    expect(lockout).toMatchObject({ code: 70050 });
    expect(during).toBeInstanceOf(UpstreamLockedError);
    expect((during as UpstreamLockedError).retryAfterMs).toBe(TENCENT_LOCKOUT_MS - 1000);
    expect(fromCache.response).toEqual(served(['alice']));
    expect(after.response).toEqual(served(['carol']));
    expect(parts.client.calls.map((call) => call.accounts)).toEqual([['alice'], ['bob'], ['carol']]);
  });
});

describe('PortraitService and the cache', () => {
  it('makes no call for accounts it holds, and one for the rest', async () => {
    const parts = serviceOnFakes();
    await parts.get(['alice']);

    const warm = await parts.get(['alice']);
    const mixed = await parts.get(['bob', 'alice']);

    expect(warm.response).toEqual(served(['alice']));
    expect(mixed.response).toEqual(served(['bob', 'alice']));
    expect(parts.client.calls.map((call) => call.accounts)).toEqual([['alice'], ['bob']]);
    expect(parts.stats()).toMatchObject({ cacheHits: 1, cacheMisses: 1, upstreamCalls: 1 });
  });

  it('calls again once the TTL has passed, or for a tag it does not hold', async () => {
    const parts = serviceOnFakes();
    await parts.get(['alice']);

    parts.clock.advance(599_999);
    await parts.get(['alice']);
    await parts.get(['alice'], { tags: [GENDER] });
    parts.clock.advance(1);
    await parts.get(['alice'], { tags: [NICK] });
    await parts.get(['alice'], { tags: [GENDER] });

    expect(parts.client.calls.map((call) => call.tags)).toEqual([[NICK], [GENDER], [NICK]]);
  });

  it('neither reads nor writes on no-store', async () => {
    const parts = serviceOnFakes();
    await parts.get(['alice']);
    const writesBefore = parts.cache.writes.length;

    const { response } = await parts.get(['alice', 'bob'], { cache: { mode: 'no-store' } });

    expect(response).toEqual(served(['alice', 'bob']));
    expect(parts.client.calls.map((call) => call.accounts)).toEqual([['alice'], ['alice', 'bob']]);
    expect(parts.cache.writes).toHaveLength(writesBefore);
    expect(await parts.cached(['alice', 'bob'])).toEqual(['alice']);
  });

  it('skips the read on no-cache, and still stores what it fetched', async () => {
    const parts = serviceOnFakes();
    await parts.get(['alice']);

    await parts.get(['alice', 'bob'], { cache: { mode: 'no-cache' } });

    expect(parts.client.calls.map((call) => call.accounts)).toEqual([['alice'], ['alice', 'bob']]);
    expect(await parts.cached(['alice', 'bob'])).toEqual(['alice', 'bob']);
  });

  it('serves max-age=N only from values fetched at most N seconds ago', async () => {
    const parts = serviceOnFakes();
    await parts.get(['alice']);
    parts.clock.advance(30_000);

    await parts.get(['alice'], { cache: { mode: 'max-age', maxAgeSeconds: 31 } });
    await parts.get(['alice'], { cache: { mode: 'max-age', maxAgeSeconds: 30 } });

    expect(parts.client.calls).toHaveLength(2);
  });

  it('caches what was fetched even when the request fails as a whole', async () => {
    const parts = serviceOnFakes();
    parts.client.script(answer(), answer(), refuse(60006));
    const wanted = accounts(250);

    const failure = await rejectionOf(parts.get(wanted));

    expect(failure).toMatchObject({ code: 60006 });
    expect(await parts.cached(wanted)).toEqual(wanted.slice(0, 200));
  });

  it('stamps what it stores with the start of the upstream call', async () => {
    const parts = serviceOnFakes();
    const startMs = parts.clock.now();
    parts.client.callMs = 1000;

    await parts.get(['alice']);

    expect(parts.cache.writes.map((write) => write.fetchedAtMs)).toEqual([startMs]);
  });
});

describe('PortraitService in detail (found by mutation testing)', () => {
  it.each([
    ['a request the client refused itself', invalid],
    [
      'a bug in the client',
      () => {
        throw new TypeError('a bug in the client');
      },
    ],
  ])('counts %s as no upstream call', async (_case, step) => {
    const parts = serviceOnFakes();
    parts.client.script(step);

    await rejectionOf(parts.get(['alice']));

    expect(parts.stats()).toMatchObject({ upstreamCalls: 0, upstreamErrors: {} });
  });

  it('takes a denial that says the schedule is available for the ceiling: NoSlotError, not 503', async () => {
    const parts = serviceOnFakes();
    parts.limiter.script({ granted: false, retryAfterMs: 350, unavailable: false });

    const failure = await rejectionOf(parts.get(['alice']));

    expect(failure).toBeInstanceOf(NoSlotError);
  });

  it('says no call was made when the schedule cannot be reached', async () => {
    const parts = serviceOnFakes();
    parts.limiter.script(unavailable(1000));

    const failure = await rejectionOf(parts.get(['alice']));

    expect(failure.message).toBe('the rate-limit schedule could not be reached; no call was made');
  });

  it('tells how long it waited for call slots', async () => {
    const parts = serviceOnFakes();
    let stats: ServeStats | undefined;
    const service = new PortraitService({
      client: parts.client,
      cache: parts.cache,
      now: parts.clock.now,
      sleep: parts.clock.sleep,
      limiter: {
        join: (sdkAppId, calls, deadlineMs) => {
          const slots = parts.limiter.join(sdkAppId, calls, deadlineMs);
          return {
            next: async () => {
              parts.clock.advance(120);
              return slots.next();
            },
            close: () => slots.close(),
          };
        },
      },
    });

    await service.get(['alice'], [NICK], {
      deadlineMs: parts.clock.now() + 5000,
      onStats: (told) => {
        stats = told;
      },
    });

    expect(stats?.slotWaitMs).toBe(120);
  });

  it('does not wait for a backoff that ends just when no slot may be asked for any more', async () => {
    const parts = serviceOnFakes();
    parts.client.script(unreachable());

    // The 50 ms backoff would end exactly minCallMs before the deadline.
    const failure = await rejectionOf(parts.get(['alice'], { withinMs: MIN_CALL_MS + 50 }));

    expect(failure).toBeInstanceOf(TencentTransportError);
    expect(parts.clock.sleeps).toEqual([]);
    expect(parts.limiter.askedAt).toHaveLength(1);
  });

  it('gives each call a signal that lasts until the deadline', async () => {
    const signals: (AbortSignal | undefined)[] = [];
    const parts = serviceOnFakes();
    const service = new PortraitService({
      client: {
        portraitGet: async (accounts, tags, signal) => {
          signals.push(signal);
          // Longer than any timer cut short by mistake: the deadline is 5 s away.
          await new Promise((resolve) => setTimeout(resolve, 20));
          return parts.client.portraitGet(accounts, tags);
        },
        renewUserSig: () => parts.client.renewUserSig(),
        reloadCredentials: () => parts.client.reloadCredentials(),
        sdkAppId: () => parts.client.sdkAppId(),
        ready: () => parts.client.ready(),
      },
      cache: parts.cache,
      limiter: parts.limiter,
      now: parts.clock.now,
      sleep: parts.clock.sleep,
    });

    await service.get(['alice'], [NICK], { deadlineMs: parts.clock.now() + 5000 });

    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(false);
  });

  it('answers the accounts of a reply without UserProfileItem as "no entry", caching nothing', async () => {
    const parts = serviceOnFakes();
    parts.client.script(() => ({ ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '' }));

    const { response } = await parts.get(['alice']);

    expect(response.UserProfileItem).toEqual([
      { To_Account: 'alice', ResultCode: 70500, ResultInfo: 'Tencent returned no entry for this account' },
    ]);
    expect(response.Fail_Account).toEqual(['alice']);
    expect(parts.cache.writes.flatMap((write) => write.items)).toEqual([]);
  });
});
