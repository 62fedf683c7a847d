import { setTimeout as delay } from 'node:timers/promises';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { demoAccountName } from '../../infra/local/demo-profiles.ts';
import type { Faults } from '../../infra/local/emulator.ts';
import { profileKey } from '../../shared/cache/cached-item.ts';
import { DEADLINE_MARGIN_MS } from '../../shared/invocation-deadline.ts';
import type { CachePolicy } from '../../shared/portrait/ports.ts';
import { PARTITION_KEY, TTL_ATTRIBUTE } from '../../shared/table-definition.ts';
import { interceptCommands } from '../support/dynalite.ts';
import { TEST_CREDENTIALS } from '../support/emulator-factory.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { rejectionOf } from '../support/rejection-of.ts';
import { deadlineIn, serviceInstance, servicePartsPerTest } from '../support/service-fixture.ts';

const APP = TEST_CREDENTIALS.sdkAppId;
const NICK = 'Tag_Profile_IM_Nick';
const GENDER = 'Tag_Profile_IM_Gender';
const TEAM = 'Tag_Profile_Custom_Team';
const accounts = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => demoAccountName(from + i));
const ghosts = (count: number) => Array.from({ length: count }, (_, i) => `ghost-${i}`);

const fixture = servicePartsPerTest();

describe('stale-if-error over dynalite and the emulator', () => {
  /** An instance whose cached values are stale as soon as they are stored (a TTL of 0), with a day to serve them. */
  const staleAtOnce = () =>
    serviceInstance(fixture.parts, { tableName: fixture.tableName, cacheTtlSeconds: 0 });

  interface OutageCase {
    label: string;
    faults?: Faults;
    /** Time the request has; default 5 s. */
    withinMs?: number;
    code: number;
    calls: number;
  }

  describe.each<OutageCase>([
    { label: 'Tencent answers 502 (outage)', faults: { httpStatus: 502 }, code: 60008, calls: 3 },
    {
      label: 'Tencent hangs past the deadline',
      faults: { hang: true },
      withinMs: 1200,
      code: 60008,
      calls: 1,
    },
    { label: 'Tencent locks the app out (70050)', faults: { forceCode: 70050 }, code: 70050, calls: 1 },
    {
      label: "Tencent's ceiling (60007) after the retries",
      faults: { forceCode: 60007 },
      code: 60007,
      calls: 3,
    },
    { label: 'no call slot before the deadline', withinMs: 100, code: 60007, calls: 0 },
  ])('$label', ({ faults, withinMs = 5000, code, calls }) => {
    it('answers the accounts it holds stale, and fails only those it holds nothing for', async () => {
      // Prepare
      const { service } = staleAtOnce();
      await service.get(['alice', 'bob'], [NICK], { deadlineMs: deadlineIn(5000) });
      fixture.parts.emulator.resetCalls();
      if (faults) fixture.parts.emulator.setFaults(faults);

      // Act
      const result = await service.get(['alice', 'carol', 'bob'], [NICK], {
        deadlineMs: deadlineIn(withinMs),
      });

      // Assess
      expect(result.stale).toEqual(['alice', 'bob']);
      expect(result.stats).toMatchObject({ staleServed: 2, cacheHits: 0 });
      expect(result.response.UserProfileItem?.[0]).toMatchObject({ To_Account: 'alice', ResultCode: 0 });
      expect(result.response.UserProfileItem?.[0]?.ProfileItem).toEqual([{ Tag: NICK, Value: 'Alice' }]);
      expect(result.response.Fail_Account).toEqual(['carol']);
      expect(result.response.UserProfileItem?.[1]).toMatchObject({ To_Account: 'carol', ResultCode: code });
      expect(fixture.parts.emulator.calls).toHaveLength(calls);
    });

    it('fails the request as before when the caller sends stale-if-error=0', async () => {
      // Prepare
      const { service } = staleAtOnce();
      await service.get(['alice'], [NICK], { deadlineMs: deadlineIn(5000) });
      if (faults) fixture.parts.emulator.setFaults(faults);
      const optOut: CachePolicy = { mode: 'default', staleIfErrorSeconds: 0 };

      // Act
      const failure = await rejectionOf(
        service.get(['alice'], [NICK], { deadlineMs: deadlineIn(withinMs), cache: optOut }),
      );

      // Assess
      expect(failure).toMatchObject({ code });
    });
  });

  it('keeps serving stale through the lockout minute without calling Tencent', async () => {
    const { service } = staleAtOnce();
    await service.get(['alice'], [NICK], { deadlineMs: deadlineIn(5000) });
    fixture.parts.emulator.setFaults({ forceCode: 70050, times: 1 });
    await service.get(['alice'], [NICK], { deadlineMs: deadlineIn(5000) });
    fixture.parts.emulator.resetCalls();

    const during = await service.get(['alice'], [NICK], { deadlineMs: deadlineIn(5000) });

    expect(during.stale).toEqual(['alice']);
    expect(fixture.parts.emulator.calls).toHaveLength(0);
  });

  it('sets the item expiry to the end of the stale-if-error window', async () => {
    const { service } = serviceInstance(fixture.parts, {
      tableName: fixture.tableName,
      staleIfErrorSeconds: 3600,
    });
    const before = Math.floor(Date.now() / 1000);

    await service.get(['alice'], [NICK], { deadlineMs: deadlineIn(5000) });
    const { Item } = await fixture.parts.dynamo.documentClient.send(
      new GetCommand({ TableName: fixture.tableName, Key: { [PARTITION_KEY]: profileKey(APP, 'alice') } }),
    );
    const expiresAt = Item?.[TTL_ATTRIBUTE] as number;

    expect(expiresAt).toBeGreaterThanOrEqual(before + 600 + 3600);
    expect(expiresAt).toBeLessThanOrEqual(before + 600 + 3600 + 2);
  });
});

describe('single flight over dynalite and the emulator', () => {
  it('makes one call for 50 concurrent requests of one uncached account', async () => {
    const { service } = serviceInstance(fixture.parts, { tableName: fixture.tableName });

    const results = await Promise.all(
      Array.from({ length: 50 }, () => service.get(['alice'], [NICK], { deadlineMs: deadlineIn(5000) })),
    );

    expect(fixture.parts.emulator.calls).toHaveLength(1);
    for (const result of results)
      expect(result.response.UserProfileItem).toEqual([
        { To_Account: 'alice', ProfileItem: [{ Tag: NICK, Value: 'Alice' }], ResultCode: 0, ResultInfo: '' },
      ]);
    expect(service.inFlight).toBe(0);
  });
});

describe('the cache write after a fetch', () => {
  it('never costs an answer: 20 concurrent no-cache requests of 1000 accounts all answer in time', async () => {
    // Prepare: every cache write takes 300 ms before it reaches dynalite, so storing 20,000 answers
    // takes far longer than the requests have; the limiter's own writes are left alone.
    const clients = fixture.parts.dynamo.newClients();
    interceptCommands(clients, async (command, proceed) => {
      const key = (command.input.Key as { pk?: string } | undefined)?.pk ?? '';
      if (command.name === 'UpdateItemCommand' && key.startsWith('p#')) await delay(300);
      return proceed();
    });
    const { service } = serviceInstance(fixture.parts, { tableName: fixture.tableName, clients });
    const deadlineMs = deadlineIn(4000);
    // What a Lambda invocation does: whatever is not answered by the end of its time is lost.
    const invocationEnd = delay(4000 + DEADLINE_MARGIN_MS).then(() => 'ran out of time' as const);

    // Act
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        Promise.race([
          service.get(i === 0 ? accounts(1, 1000) : ghosts(1000).map((g) => `${g}-${i}`), [NICK], {
            deadlineMs,
            cache: { mode: 'no-cache' },
          }),
          invocationEnd,
        ]),
      ),
    );

    // Assess
    for (const outcome of outcomes) {
      expect(outcome).not.toBe('ran out of time');
      if (outcome === 'ran out of time') continue;
      expect(outcome.response.UserProfileItem).toHaveLength(1000);
      expect(outcome.stats.upstreamCalls).toBe(10);
    }
    const dropped = outcomes.reduce(
      (sum, o) => sum + (o === 'ran out of time' ? 0 : o.stats.cacheWritesDropped),
      0,
    );
    expect(dropped).toBeGreaterThan(0);
    expect(fixture.parts.emulator.calls.filter((call) => call.outcome === 0)).toHaveLength(200);
  });
});

describe('unknown accounts when Tencent fails a whole call with 40003', () => {
  beforeEach(() => {
    fixture.parts.emulator.setFaults({ unknownFailsCall: true });
  });

  it('spends at most 20 calls on 100 accounts that are all unknown, and caches only those asked alone', async () => {
    const { service, cache } = serviceInstance(fixture.parts, { tableName: fixture.tableName });
    const wanted = ghosts(100);

    const { response } = await service.get(wanted, [NICK], { deadlineMs: deadlineIn(10_000) });

    expect(fixture.parts.emulator.calls.length).toBeLessThanOrEqual(20);
    expect(response.Fail_Account).toEqual(wanted);
    const notFound = (response.UserProfileItem ?? []).filter((item) => item.ResultCode === 40003);
    const unresolved = (response.UserProfileItem ?? []).filter((item) => item.ResultCode === 70500);
    expect(notFound.length + unresolved.length).toBe(100);
    const kept = await cache.read(APP, wanted, [NICK], { mode: 'default' });
    expect([...kept.keys()].sort()).toEqual(notFound.map((item) => item.To_Account).sort());
  });

  it('finds a few unknown accounts among 1000 with about log2(100) calls each, then serves all from the cache', async () => {
    const { service } = serviceInstance(fixture.parts, { tableName: fixture.tableName });
    const unknown = ['ghost-a', 'ghost-b', 'ghost-c'];
    const wanted = [
      ...accounts(1, 300),
      'ghost-a',
      ...accounts(301, 400),
      'ghost-b',
      'ghost-c',
      ...accounts(701, 297),
    ];

    const first = await service.get(wanted, [NICK], { deadlineMs: deadlineIn(10_000) });
    const callsFirst = fixture.parts.emulator.calls.length;
    const again = await service.get(wanted, [NICK], { deadlineMs: deadlineIn(10_000) });

    expect(first.response.Fail_Account).toEqual(unknown);
    for (const ghost of unknown)
      expect(first.response.UserProfileItem?.find((item) => item.To_Account === ghost)).toMatchObject({
        ResultCode: 40003,
      });
    expect(callsFirst).toBeLessThanOrEqual(10 + unknown.length * 9);
    expect(again.response).toEqual(first.response);
    expect(fixture.parts.emulator.calls).toHaveLength(callsFirst);
  });
});

describe('tag refusals', () => {
  it('retries a 40009 on standard tags only as transient, and never remembers it', async () => {
    const { service } = serviceInstance(fixture.parts, { tableName: fixture.tableName });
    fixture.parts.emulator.setFaults({ forceCode: 40009, times: 1 });

    const result = await service.get(['alice'], [NICK, GENDER], { deadlineMs: deadlineIn(5000) });
    fixture.parts.emulator.setFaults({ forceCode: 40009, times: 1 });
    const next = await service.get(['bob'], [GENDER, NICK], { deadlineMs: deadlineIn(5000) });

    expect(result.response.Fail_Account).toBeUndefined();
    expect(next.response.Fail_Account).toBeUndefined();
    expect(fixture.parts.emulator.calls.map((call) => call.outcome)).toEqual([40009, 0, 40009, 0]);
  });

  it('still remembers a refused custom tag', async () => {
    const { service } = serviceInstance(fixture.parts, { tableName: fixture.tableName });
    fixture.parts.emulator.setFaults({ forceCode: 40009, times: 1 });

    const first = await rejectionOf(service.get(['alice'], [NICK, TEAM], { deadlineMs: deadlineIn(5000) }));
    const again = await rejectionOf(service.get(['bob'], [TEAM, NICK], { deadlineMs: deadlineIn(5000) }));

    expect(again).toBe(first);
    expect(fixture.parts.emulator.calls).toHaveLength(1);
  });
});

describe('early refresh over dynalite and the emulator', () => {
  /**
   * `instances` instances on one table and one manual clock; from `startGapMs` before the hot
   * account expires to its expiry, every `stepMs` each instance serves `readers` concurrent
   * reads. Returns the calls made before expiry, at or after it, and the reads that waited for
   * Tencent after it.
   */
  async function oneExpiry(options: { instances: number; readers: number; earlyRefreshMs: number }) {
    const clock = new ManualClock(Date.now());
    const fleet = Array.from({ length: options.instances }, () =>
      serviceInstance(fixture.parts, {
        tableName: fixture.tableName,
        now: clock.now,
        earlyRefreshMs: options.earlyRefreshMs,
      }),
    );
    const read = (i: number) =>
      (fleet[i] as (typeof fleet)[number]).service.get(['alice'], [NICK], { deadlineMs: clock.now() + 5000 });
    await read(0);
    fixture.parts.emulator.resetCalls();
    const stepMs = 50;
    const expiresAt = clock.now() + 600_000;
    clock.advance(600_000 - 8000);
    let misses = 0;
    let callsBefore = 0;
    while (clock.now() < expiresAt + 200) {
      const beforeExpiry = clock.now() < expiresAt;
      const reads = fleet.flatMap((_, i) => Array.from({ length: options.readers }, () => read(i)));
      for (const { stats } of await Promise.all(reads))
        if (!beforeExpiry && stats.earlyRefreshes === 0) misses += stats.cacheMisses;
      if (beforeExpiry) callsBefore = fixture.parts.emulator.calls.length;
      clock.advance(stepMs);
    }
    return { callsBefore, callsAfter: fixture.parts.emulator.calls.length - callsBefore, misses };
  }

  it.each([
    {
      label: 'on: about one reader refreshes the hot account before it expires, none waits at expiry',
      earlyRefreshMs: 1000,
      before: [1, 2],
      after: 0,
      waited: 0,
    },
    {
      label: 'off: each of the three instances calls at expiry, and all six readers wait',
      earlyRefreshMs: 0,
      before: [0, 0],
      after: 3,
      waited: 6,
    },
  ])('$label', async ({ earlyRefreshMs, before, after, waited }) => {
    const { callsBefore, callsAfter, misses } = await oneExpiry({ instances: 3, readers: 2, earlyRefreshMs });

    expect(callsBefore).toBeGreaterThanOrEqual(before[0] as number);
    expect(callsBefore).toBeLessThanOrEqual(before[1] as number);
    expect(callsAfter).toBe(after);
    expect(misses).toBe(waited);
  });
});
