import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demoAccountName } from '../../infra/local/demo-profiles.ts';
import {
  DependencyError,
  TencentApiError,
  TencentTransportError,
  UpstreamLockedError,
} from '../../shared/errors.ts';
import { uniqueInOrder } from '../../shared/portrait/chunking.ts';
import { loopbackClients } from '../support/dynalite.ts';
import { closedLoopbackOrigin } from '../support/loopback-http.ts';
import { rejectionOf } from '../support/rejection-of.ts';
import { deadlineIn, serviceInstance, servicePartsPerTest } from '../support/service-fixture.ts';

const NICK = 'Tag_Profile_IM_Nick';
const GENDER = 'Tag_Profile_IM_Gender';
const accounts = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => demoAccountName(from + i));

const fixture = servicePartsPerTest();

const instance = () => serviceInstance(fixture.parts, { tableName: fixture.tableName });

describe('PortraitService over dynalite and the emulator', () => {
  describe('the cache', () => {
    it('fetches 250 uncached accounts in exactly 3 calls, in request order, then serves them with none', async () => {
      // Prepare
      const { service } = instance();
      const wanted = accounts(1, 250).reverse();

      // Act
      const cold = await service.get(wanted, [NICK], { deadlineMs: deadlineIn(5000) });
      const callsAfterCold = fixture.parts.emulator.calls.length;
      const warm = await service.get(wanted, [NICK], { deadlineMs: deadlineIn(5000) });

      // Assess
      expect(callsAfterCold).toBe(3);
      expect(fixture.parts.emulator.calls.map((c) => c.accounts).sort()).toEqual([100, 100, 50].sort());
      expect(fixture.parts.emulator.calls).toHaveLength(3);
      expect(cold.response.UserProfileItem?.map((i) => i.To_Account)).toEqual(wanted);
      expect(warm.response).toEqual(cold.response);
      expect(warm.stats).toMatchObject({ cacheHits: 250, cacheMisses: 0, upstreamCalls: 0 });
      expect(cold.stats).toMatchObject({ cacheHits: 0, cacheMisses: 250, upstreamCalls: 3 });
    });

    it('answers duplicates once, in first-seen order, and fetches them once', async () => {
      const { service } = instance();

      const result = await service.get(['bob', 'alice', 'bob', 'carol', 'alice'], [NICK], {
        deadlineMs: deadlineIn(5000),
      });

      expect(result.response.UserProfileItem?.map((i) => i.To_Account)).toEqual(['bob', 'alice', 'carol']);
      expect(fixture.parts.emulator.calls).toEqual([expect.objectContaining({ accounts: 3 })]);
    });

    it('goes upstream for a tag not yet cached, and not for the tags it already holds', async () => {
      const { service } = instance();
      await service.get(['alice'], [NICK], { deadlineMs: deadlineIn(5000) });

      await service.get(['alice'], [NICK, GENDER], { deadlineMs: deadlineIn(5000) });
      const afterWider = fixture.parts.emulator.calls.length;
      const narrower = await service.get(['alice'], [GENDER], { deadlineMs: deadlineIn(5000) });

      expect(afterWider).toBe(2);
      expect(fixture.parts.emulator.calls).toHaveLength(2);
      expect(narrower.response.UserProfileItem?.[0]?.ProfileItem?.map((p) => p.Tag)).toEqual([GENDER]);
    });

    it('reports an unknown account in Fail_Account and remembers that it was not found', async () => {
      const { service } = instance();

      const first = await service.get(['alice', 'nobody-here'], [NICK], { deadlineMs: deadlineIn(5000) });
      const second = await service.get(['alice', 'nobody-here'], [NICK], { deadlineMs: deadlineIn(5000) });

      expect(first.response.Fail_Account).toEqual(['nobody-here']);
      expect(first.response.UserProfileItem?.[1]).toMatchObject({ ResultCode: 40003 });
      expect(second.response).toEqual(first.response);
      expect(fixture.parts.emulator.calls).toHaveLength(1);
    });

    it('neither reads nor writes the cache on no-store', async () => {
      const { service } = instance();
      await service.get(['alice'], [NICK], { deadlineMs: deadlineIn(5000) });

      await service.get(['alice', 'bob'], [NICK], {
        deadlineMs: deadlineIn(5000),
        cache: { mode: 'no-store' },
      });
      const after = await service.get(['bob'], [NICK], { deadlineMs: deadlineIn(5000) });

      expect(fixture.parts.emulator.calls.map((c) => c.accounts)).toEqual([1, 2, 1]);
      expect(after.stats).toMatchObject({ cacheHits: 0, upstreamCalls: 1 });
    });

    it('skips the cache read on no-cache and still refreshes the cache', async () => {
      const { service } = instance();
      await service.get(['alice'], [NICK], { deadlineMs: deadlineIn(5000) });
      fixture.parts.emulator.setProfile('alice', [{ Tag: NICK, Value: 'Alice II' }]);

      const bypass = await service.get(['alice'], [NICK], {
        deadlineMs: deadlineIn(5000),
        cache: { mode: 'no-cache' },
      });
      const cached = await service.get(['alice'], [NICK], { deadlineMs: deadlineIn(5000) });

      expect(bypass.response.UserProfileItem?.[0]?.ProfileItem).toEqual([{ Tag: NICK, Value: 'Alice II' }]);
      expect(cached.response.UserProfileItem?.[0]?.ProfileItem).toEqual([{ Tag: NICK, Value: 'Alice II' }]);
      expect(fixture.parts.emulator.calls).toHaveLength(2);
    });
  });

  describe('faults', () => {
    it('retries accounts that failed with 40006 once, and reports them when they fail again', async () => {
      const { service } = instance();
      fixture.parts.emulator.setFaults({ failAccounts: { bob: 40006 } });

      const result = await service.get(['alice', 'bob'], [NICK], { deadlineMs: deadlineIn(5000) });
      fixture.parts.emulator.clearFaults();
      const later = await service.get(['alice', 'bob'], [NICK], { deadlineMs: deadlineIn(5000) });

      expect(result.response.Fail_Account).toEqual(['bob']);
      expect(result.response.UserProfileItem?.[1]).toMatchObject({ To_Account: 'bob', ResultCode: 40006 });
      expect(fixture.parts.emulator.calls.map((c) => c.accounts)).toEqual([2, 1, 1]);
      expect(later.response.Fail_Account).toBeUndefined();
      expect(later.stats).toMatchObject({ cacheHits: 1, cacheMisses: 1 });
    });

    it('recovers from a transient 40006 on retry without reporting it', async () => {
      const { service } = instance();
      fixture.parts.emulator.setFaults({ failAccounts: { bob: 40006 }, times: 1 });

      const result = await service.get(['alice', 'bob'], [NICK], { deadlineMs: deadlineIn(5000) });

      expect(result.response.Fail_Account).toBeUndefined();
      expect(fixture.parts.emulator.calls).toHaveLength(2);
    });

    it('gives up on a 60007 storm after its attempts, caching nothing', async () => {
      const { service } = instance();
      fixture.parts.emulator.setFaults({ forceCode: 60007 });

      const failure = await rejectionOf(service.get(['alice'], [NICK], { deadlineMs: deadlineIn(5000) }));
      fixture.parts.emulator.clearFaults();
      await service.get(['alice'], [NICK], { deadlineMs: deadlineIn(5000) });

      expect(failure).toBeInstanceOf(TencentApiError);
      expect(failure).toMatchObject({ code: 60007, disposition: 'rate-limited' });
      expect(fixture.parts.emulator.calls.map((c) => c.outcome)).toEqual([60007, 60007, 60007, 0]);
    });

    it('answers a timeout when Tencent hangs past the deadline, caching nothing', async () => {
      const { service } = instance();
      fixture.parts.emulator.setFaults({ hang: true });

      const failure = await rejectionOf(service.get(['alice'], [NICK], { deadlineMs: deadlineIn(400) }));
      fixture.parts.emulator.clearFaults();
      const after = await service.get(['alice'], [NICK], { deadlineMs: deadlineIn(5000) });

      expect(failure).toBeInstanceOf(TencentTransportError);
      expect(after.stats.upstreamCalls).toBe(1);
    });

    it('retries a reset connection with a new slot and answers in full', async () => {
      const { service } = instance();
      fixture.parts.emulator.setFaults({ reset: true, times: 1 });

      const result = await service.get(['alice', 'bob'], [NICK], { deadlineMs: deadlineIn(5000) });

      expect(result.response.UserProfileItem).toHaveLength(2);
      expect(result.stats).toMatchObject({ upstreamCalls: 2, upstreamErrors: { 60008: 1 } });
      expect(fixture.parts.emulator.calls.map((c) => c.outcome)).toEqual(['reset', 0]);
    });

    it('signs anew once on 70001 and succeeds; a second 70001 is final', async () => {
      const { service } = instance();
      fixture.parts.emulator.setFaults({ forceCode: 70001, times: 1 });
      const recovered = await service.get(['alice'], [NICK], { deadlineMs: deadlineIn(5000) });
      fixture.parts.emulator.setFaults({ forceCode: 70001 });

      const failure = await rejectionOf(service.get(['bob'], [NICK], { deadlineMs: deadlineIn(5000) }));

      expect(recovered.response.UserProfileItem?.[0]).toMatchObject({ To_Account: 'alice', ResultCode: 0 });
      expect(failure).toMatchObject({ code: 70001 });
      expect(fixture.parts.emulator.calls.map((c) => c.outcome)).toEqual([70001, 0, 70001, 70001]);
    });

    it('after Tencent locks the app out (70050), calls no more for a minute but still serves the cache', async () => {
      const { service } = instance();
      await service.get(['alice'], [NICK], { deadlineMs: deadlineIn(5000) });
      fixture.parts.emulator.setFaults({ forceCode: 70050, times: 1 });
      const lockout = await rejectionOf(service.get(['bob'], [NICK], { deadlineMs: deadlineIn(5000) }));

      const during = await rejectionOf(service.get(['carol'], [NICK], { deadlineMs: deadlineIn(5000) }));
      const cached = await service.get(['alice'], [NICK], { deadlineMs: deadlineIn(5000) });

      expect(lockout).toMatchObject({ code: 70050 });
      expect(during).toBeInstanceOf(UpstreamLockedError);
      expect((during as UpstreamLockedError).retryAfterMs).toBeGreaterThan(55_000);
      expect(cached.stats).toMatchObject({ cacheHits: 1, upstreamCalls: 0 });
      expect(fixture.parts.emulator.calls.map((c) => c.outcome)).toEqual([0, 70050]);
    });

    it('remembers that Tencent refused a tag list, so repeating it costs no more calls', async () => {
      const { service } = instance();
      const bogus = 'Tag_Profile_Custom_Nope';

      const first = await rejectionOf(
        service.get(['alice'], [NICK, bogus], { deadlineMs: deadlineIn(5000) }),
      );
      const again = await rejectionOf(service.get(['bob'], [bogus, NICK], { deadlineMs: deadlineIn(5000) }));
      await service.get(['bob'], [NICK], { deadlineMs: deadlineIn(5000) });

      expect(first).toMatchObject({ code: 40009 });
      expect(again).toBe(first);
      expect(fixture.parts.emulator.calls.map((c) => c.outcome)).toEqual([40009, 0]);
    });

    it('makes no upstream call when DynamoDB is down: no slot, a dependency error', async () => {
      const { service } = serviceInstance(fixture.parts, {
        tableName: fixture.tableName,
        clients: loopbackClients(await closedLoopbackOrigin()),
      });

      const failure = await rejectionOf(service.get(['alice'], [NICK], { deadlineMs: deadlineIn(3000) }));

      expect(failure).toBeInstanceOf(DependencyError);
      expect(failure).toMatchObject({ dependency: 'table' });
      expect(fixture.parts.emulator.calls).toHaveLength(0);
    });

    it('tells its stats even when it fails', async () => {
      const { service } = instance();
      fixture.parts.emulator.setFaults({ httpStatus: 502 });
      const seen: unknown[] = [];

      await service
        .get(['alice'], [NICK], { deadlineMs: deadlineIn(5000), onStats: (s) => seen.push(s) })
        .catch(() => undefined);

      expect(seen).toEqual([expect.objectContaining({ upstreamCalls: 3, upstreamErrors: { 60008: 3 } })]);
    });
  });

  it('answers any request with every unique account exactly once, in first-seen order', async () => {
    const { service } = instance();
    const account = fc.oneof(
      fc.integer({ min: 1, max: 400 }).map(demoAccountName),
      fc.constantFrom('ghost-1', 'ghost-2', 'alice', 'bob'),
    );

    await fc.assert(
      fc.asyncProperty(fc.array(account, { minLength: 1, maxLength: 260 }), async (wanted) => {
        const { response } = await service.get(wanted, [NICK], { deadlineMs: deadlineIn(5000) });

        const answered = response.UserProfileItem?.map((i) => i.To_Account);
        expect(answered).toEqual(uniqueInOrder(wanted));
        const failed = response.UserProfileItem?.filter((i) => i.ResultCode !== 0).map((i) => i.To_Account);
        expect(response.Fail_Account).toEqual(failed?.length ? failed : undefined);
        expect(failed?.every((a) => a.startsWith('ghost-'))).toBe(true);
      }),
      { numRuns: 25 },
    );
  });
});
