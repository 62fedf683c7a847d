import { getEventListeners } from 'node:events';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { profileKey } from '../../shared/cache/cached-item.ts';
import {
  type CacheOperation,
  DynamoProfileCache,
  type ProfileCacheOptions,
} from '../../shared/cache/profile-cache.ts';
import type { DynamoDbClients } from '../../shared/dynamodb-client.ts';
import type { CacheEntry, CachePolicy } from '../../shared/portrait/ports.ts';
import type { ProfileValue, UserProfileItem } from '../../shared/tencent/portrait-types.ts';
import {
  dynaliteTablePerTest,
  interceptCommands,
  loopbackClients,
  type SeenCommand,
} from '../support/dynalite.ts';
import { closedLoopbackOrigin } from '../support/loopback-http.ts';

const APP = 1_400_000_001;
const NICK = 'Tag_Profile_IM_Nick';
const GENDER = 'Tag_Profile_IM_Gender';
const LEVEL = 'Tag_Profile_IM_Level';
const TTL_S = 600;
const NEGATIVE_TTL_S = 60;
const SKEW_MS = 60_000;
const DAY_MS = 86_400_000;
const T0 = 1_800_000_000_000;
const DEFAULT: CachePolicy = { mode: 'default' };

/** The fresh hits of a read, as Tencent-shaped items by account. */
const hitsOf = (entries: ReadonlyMap<string, CacheEntry>): Map<string, UserProfileItem> =>
  new Map(
    [...entries].filter(([, entry]) => entry.freshForMs > 0).map(([account, entry]) => [account, entry.item]),
  );

/** What Tencent answers for an account that exists: the given tags, in the given order. */
const found = (account: string, values: Record<string, ProfileValue>): UserProfileItem => ({
  To_Account: account,
  ProfileItem: Object.entries(values).map(([Tag, Value]) => ({ Tag, Value })),
  ResultCode: 0,
  ResultInfo: '',
});

const notFound = (account: string): UserProfileItem => ({
  To_Account: account,
  ResultCode: 40003,
  ResultInfo: 'Err_Profile_PortraitGet_Account_Not_Exist',
});

describe('DynamoProfileCache on dynalite', () => {
  const table = dynaliteTablePerTest();
  let nowMs: number;
  let errors: Array<{ operation: CacheOperation; error: unknown }>;

  const cacheWith = (overrides: Partial<ProfileCacheOptions> = {}) =>
    new DynamoProfileCache({
      client: table.dynamo.documentClient,
      tableName: table.tableName,
      cacheTtlSeconds: TTL_S,
      negativeCacheTtlSeconds: NEGATIVE_TTL_S,
      now: () => nowMs,
      onError: (operation, error) => errors.push({ operation, error }),
      sleep: async () => {},
      ...overrides,
    });

  /** Fresh clients whose calls are recorded (and may be altered) on their way to dynalite. */
  const observedClients = (
    alter: (command: SeenCommand, output: Record<string, unknown>) => Record<string, unknown> = (_, o) => o,
  ): { clients: DynamoDbClients; seen: SeenCommand[] } => {
    const clients = table.dynamo.newClients();
    const seen: SeenCommand[] = [];
    interceptCommands(clients, async (command, proceed) => {
      seen.push(command);
      return alter(command, await proceed());
    });
    return { clients, seen };
  };

  beforeEach(() => {
    nowMs = T0;
    errors = [];
  });

  it('misses an account it never stored, then hits it with the tags in requested order', async () => {
    // Prepare
    const cache = cacheWith();
    const before = hitsOf(await cache.read(APP, ['alice'], [NICK, GENDER], DEFAULT));

    // Act
    await cache.write(
      APP,
      [NICK, GENDER],
      [found('alice', { [NICK]: 'Alice', [GENDER]: 'Gender_Type_Female' })],
      nowMs,
    );
    const after = hitsOf(await cache.read(APP, ['alice'], [GENDER, NICK], DEFAULT));

    // Assess
    expect(before.size).toBe(0);
    expect(after.get('alice')).toEqual(found('alice', { [GENDER]: 'Gender_Type_Female', [NICK]: 'Alice' }));
    expect(errors).toEqual([]);
  });

  it('keeps apps apart: the same account of another SDKAppID is a miss', async () => {
    // Prepare
    const cache = cacheWith();
    await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice' })], nowMs);

    // Act
    const other = hitsOf(await cache.read(APP + 1, ['alice'], [NICK], DEFAULT));

    // Assess
    expect(other.size).toBe(0);
  });

  it('hits only when every requested tag is cached (a subset hits, a superset misses)', async () => {
    // Prepare
    const cache = cacheWith();
    await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice' })], nowMs);

    // Act
    const subset = hitsOf(await cache.read(APP, ['alice'], [NICK], DEFAULT));
    const superset = hitsOf(await cache.read(APP, ['alice'], [NICK, GENDER], DEFAULT));

    // Assess
    expect(subset.get('alice')).toEqual(found('alice', { [NICK]: 'Alice' }));
    expect(superset.has('alice')).toBe(false);
  });

  it('caches a tag Tencent returned no value for as absent: a hit that omits it', async () => {
    // Prepare
    const cache = cacheWith();

    // Act
    await cache.write(APP, [NICK, GENDER], [found('bob', { [NICK]: 'Bob' })], nowMs);
    const hits = hitsOf(await cache.read(APP, ['bob'], [GENDER, NICK], DEFAULT));

    // Assess
    expect(hits.get('bob')).toEqual(found('bob', { [NICK]: 'Bob' }));
  });

  describe.each<{ label: string; value: ProfileValue }>([
    { label: 'an empty string', value: '' },
    { label: 'zero', value: 0 },
    { label: 'a number', value: 19_900_101 },
    { label: 'text with a #', value: 'ä#b "c"' },
  ])('a value that is $label', ({ value }) => {
    it('reads back exactly as Tencent gave it', async () => {
      // Prepare
      const cache = cacheWith();

      // Act
      await cache.write(APP, [LEVEL], [found('carol', { [LEVEL]: value })], nowMs);
      const hits = hitsOf(await cache.read(APP, ['carol'], [LEVEL], DEFAULT));

      // Assess
      expect(hits.get('carol')).toEqual(found('carol', { [LEVEL]: value }));
    });
  });

  it('expires a value once the TTL has passed, though DynamoDB still holds the item', async () => {
    // Prepare
    const cache = cacheWith();
    await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice' })], nowMs);

    // Act
    nowMs = T0 + TTL_S * 1000 - 1;
    const lastFresh = hitsOf(await cache.read(APP, ['alice'], [NICK], DEFAULT));
    nowMs = T0 + TTL_S * 1000;
    const expired = hitsOf(await cache.read(APP, ['alice'], [NICK], DEFAULT));

    // Assess
    expect(lastFresh.has('alice')).toBe(true);
    expect(expired.has('alice')).toBe(false);
  });

  it('sets the item expiry to when its latest tag expires', async () => {
    // Prepare
    const cache = cacheWith();

    // Act
    await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice' })], nowMs);
    const { Item } = await table.dynamo.documentClient.send(
      new GetCommand({ TableName: table.tableName, Key: { pk: profileKey(APP, 'alice') } }),
    );

    // Assess
    expect(Item?.expiresAt).toBe((T0 + TTL_S * 1000) / 1000);
  });

  it('caches "account not found" like Tencent answers it, for the short TTL only', async () => {
    // Prepare
    const cache = cacheWith();
    await cache.write(APP, [NICK], [notFound('ghost')], nowMs);

    // Act
    const fresh = hitsOf(await cache.read(APP, ['ghost'], [NICK, GENDER], DEFAULT));
    nowMs = T0 + NEGATIVE_TTL_S * 1000;
    const expired = hitsOf(await cache.read(APP, ['ghost'], [NICK], DEFAULT));

    // Assess
    expect(fresh.get('ghost')).toEqual(notFound('ghost'));
    expect(expired.has('ghost')).toBe(false);
  });

  it('forgets "not found" once the account is answered, and the values of an account that vanished', async () => {
    // Prepare
    const cache = cacheWith();
    await cache.write(APP, [NICK], [notFound('dave'), found('erin', { [NICK]: 'Erin' })], nowMs);

    // Act
    nowMs += 1000;
    await cache.write(APP, [NICK], [found('dave', { [NICK]: 'Dave' }), notFound('erin')], nowMs);
    const hits = hitsOf(await cache.read(APP, ['dave', 'erin'], [NICK], DEFAULT));

    // Assess
    expect(hits.get('dave')).toEqual(found('dave', { [NICK]: 'Dave' }));
    expect(hits.get('erin')).toEqual(notFound('erin'));
  });

  it('never caches other per-account failures', async () => {
    // Prepare
    const cache = cacheWith();
    const failed: UserProfileItem = {
      To_Account: 'frank',
      ResultCode: 40006,
      ResultInfo: 'Err_Profile_PortraitGet_Read_Custom_Data_Fail',
    };

    // Act
    await cache.write(APP, [NICK], [failed], nowMs);
    const hits = hitsOf(await cache.read(APP, ['frank'], [NICK], DEFAULT));

    // Assess
    expect(hits.size).toBe(0);
  });

  describe.each<{ policy: CachePolicy; ageSeconds: number; hit: boolean }>([
    { policy: { mode: 'max-age', maxAgeSeconds: 60 }, ageSeconds: 30, hit: true },
    { policy: { mode: 'max-age', maxAgeSeconds: 10 }, ageSeconds: 30, hit: false },
    { policy: { mode: 'max-age', maxAgeSeconds: 0 }, ageSeconds: 0, hit: false },
    { policy: { mode: 'max-age', maxAgeSeconds: 86_400 }, ageSeconds: TTL_S, hit: false },
    { policy: { mode: 'no-cache' }, ageSeconds: 0, hit: false },
  ])('policy $policy at age $ageSeconds s', ({ policy, ageSeconds, hit }) => {
    it(hit ? 'hits' : 'misses (max-age only narrows the TTL)', async () => {
      // Prepare
      const cache = cacheWith();
      await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice' })], nowMs);
      nowMs = T0 + ageSeconds * 1000;

      // Act
      const hits = hitsOf(await cache.read(APP, ['alice'], [NICK], policy));

      // Assess
      expect(hits.has('alice')).toBe(hit);
    });
  });

  it('narrows "not found" by max-age too', async () => {
    // Prepare
    const cache = cacheWith();
    await cache.write(APP, [NICK], [notFound('ghost')], nowMs);
    nowMs = T0 + 20_000;

    // Act
    const narrowed = hitsOf(await cache.read(APP, ['ghost'], [NICK], { mode: 'max-age', maxAgeSeconds: 10 }));

    // Assess
    expect(narrowed.size).toBe(0);
  });

  it.each<CachePolicy>([{ mode: 'no-cache' }, { mode: 'no-store' }])(
    'does not read DynamoDB for $mode',
    async (policy) => {
      // Prepare
      const { clients, seen } = observedClients();
      const cache = cacheWith({ client: clients.documentClient });

      // Act
      const hits = hitsOf(await cache.read(APP, ['alice'], [NICK], policy));
      await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice' })], nowMs);

      // Assess
      expect(hits.size).toBe(0);
      expect(seen.map((command) => command.name)).toEqual(['UpdateItemCommand']);
    },
  );

  it('merges fresh tags into the item: each tag keeps its own freshness', async () => {
    // Prepare
    const cache = cacheWith();
    await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice' })], nowMs);
    nowMs = T0 + 400_000;
    await cache.write(APP, [GENDER], [found('alice', { [GENDER]: 'Gender_Type_Female' })], nowMs);

    // Act
    nowMs = T0 + 500_000;
    const both = hitsOf(await cache.read(APP, ['alice'], [NICK, GENDER], DEFAULT));
    nowMs = T0 + TTL_S * 1000 + 1;
    const nickOnly = hitsOf(await cache.read(APP, ['alice'], [NICK], DEFAULT));
    const genderOnly = hitsOf(await cache.read(APP, ['alice'], [GENDER], DEFAULT));

    // Assess
    expect(both.get('alice')).toEqual(found('alice', { [NICK]: 'Alice', [GENDER]: 'Gender_Type_Female' }));
    expect(nickOnly.has('alice')).toBe(false);
    expect(genderOnly.get('alice')).toEqual(found('alice', { [GENDER]: 'Gender_Type_Female' }));
  });

  it('reads 250 accounts (more than one BatchGetItem may carry) exactly, duplicates once', async () => {
    // Prepare
    const { clients, seen } = observedClients();
    const cache = cacheWith({ client: clients.documentClient });
    const accounts = Array.from({ length: 250 }, (_, i) => `user-${i}`);
    const written = accounts
      .filter((_, i) => i % 5 !== 0)
      .map((account, i) => (i % 7 === 0 ? notFound(account) : found(account, { [NICK]: account })));
    await cache.write(APP, [NICK], written, nowMs);

    // Act
    const hits = hitsOf(await cache.read(APP, [...accounts, 'user-1', 'user-2'], [NICK], DEFAULT));

    // Assess
    expect(hits).toEqual(new Map(written.map((item) => [item.To_Account, item])));
    const batches = seen.filter((command) => command.name === 'BatchGetItemCommand');
    expect(batches).toHaveLength(3);
    expect(errors).toEqual([]);
  });

  it('retries the keys a BatchGetItem left unprocessed', async () => {
    // Prepare
    let unprocessedOnce = false;
    const { clients, seen } = observedClients((command, output) => {
      if (command.name !== 'BatchGetItemCommand' || unprocessedOnce) return output;
      unprocessedOnce = true;
      const items = (output.Responses as Record<string, Array<{ pk: string }>>)[table.tableName] ?? [];
      const left = items.slice(0, Math.ceil(items.length / 2));
      return {
        ...output,
        Responses: { [table.tableName]: items.slice(left.length) },
        UnprocessedKeys: { [table.tableName]: { Keys: left.map((item) => ({ pk: item.pk })) } },
      };
    });
    const cache = cacheWith({ client: clients.documentClient });
    const accounts = ['a', 'b', 'c', 'd', 'e'];
    await cache.write(
      APP,
      [NICK],
      accounts.map((account) => found(account, { [NICK]: account })),
      nowMs,
    );

    // Act
    const hits = hitsOf(await cache.read(APP, accounts, [NICK], DEFAULT));

    // Assess
    expect([...hits.keys()].sort()).toEqual(accounts);
    expect(seen.filter((command) => command.name === 'BatchGetItemCommand')).toHaveLength(2);
    expect(errors).toEqual([]);
  });

  it('gives up on keys that stay unprocessed after a bounded number of retries: misses, reported', async () => {
    // Prepare
    const { clients, seen } = observedClients((command, output) =>
      command.name === 'BatchGetItemCommand'
        ? {
            ...output,
            Responses: { [table.tableName]: [] },
            UnprocessedKeys: {
              [table.tableName]: (command.input.RequestItems as Record<string, unknown>)[table.tableName],
            },
          }
        : output,
    );
    const sleeps: number[] = [];
    const cache = cacheWith({
      client: clients.documentClient,
      unprocessedRetries: 3,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice' })], nowMs);

    // Act
    const hits = hitsOf(await cache.read(APP, ['alice'], [NICK], DEFAULT));

    // Assess
    expect(hits.size).toBe(0);
    expect(seen.filter((command) => command.name === 'BatchGetItemCommand')).toHaveLength(4);
    expect(sleeps).toHaveLength(3);
    expect(errors).toEqual([
      {
        operation: 'read',
        error: expect.objectContaining({
          name: 'DependencyError',
          message: expect.stringMatching(/1 keys unprocessed/),
        }),
      },
    ]);
  });

  it('with DynamoDB unreachable: reads as all misses and drops the write, never throwing', async () => {
    // Prepare
    const down = loopbackClients(await closedLoopbackOrigin());
    const cache = cacheWith({ client: down.documentClient });
    const items = Array.from({ length: 60 }, (_, i) => found(`user-${i}`, { [NICK]: 'x' }));

    // Act
    const hits = hitsOf(await cache.read(APP, ['alice', 'bob'], [NICK], DEFAULT));
    const dropped = await cache.write(APP, [NICK], items, nowMs);
    down.client.destroy();

    // Assess
    expect(hits.size).toBe(0);
    expect(dropped).toBe(60);
    expect(errors.map((entry) => entry.operation)).toEqual(['read', 'write']);
  });

  describe('stale-if-error', () => {
    const HOUR_S = 3600;

    it('reads a value past its TTL as a stale entry for the window, then not at all', async () => {
      // Prepare
      const cache = cacheWith({ staleIfErrorSeconds: HOUR_S });
      await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice' }), notFound('ghost')], nowMs);

      // Act
      const fresh = await cache.read(APP, ['alice', 'ghost'], [NICK], DEFAULT);
      nowMs = T0 + TTL_S * 1000 + 5000;
      const stale = await cache.read(APP, ['alice', 'ghost'], [NICK], DEFAULT);
      const narrowed = await cache.read(APP, ['alice'], [NICK], { mode: 'default', staleIfErrorSeconds: 5 });
      nowMs = T0 + (TTL_S + HOUR_S) * 1000;
      const gone = await cache.read(APP, ['alice'], [NICK], DEFAULT);

      // Assess
      expect(fresh.get('alice')).toEqual({
        item: found('alice', { [NICK]: 'Alice' }),
        freshForMs: TTL_S * 1000,
      });
      expect(fresh.get('ghost')?.freshForMs).toBe(NEGATIVE_TTL_S * 1000);
      expect(stale.get('alice')).toEqual({ item: found('alice', { [NICK]: 'Alice' }), freshForMs: -5000 });
      expect(stale.get('ghost')).toEqual({
        item: notFound('ghost'),
        freshForMs: -(TTL_S - NEGATIVE_TTL_S) * 1000 - 5000,
      });
      expect(narrowed.size).toBe(0);
      expect(gone.size).toBe(0);
    });

    it('keeps the item until the end of the window', async () => {
      // Prepare
      const cache = cacheWith({ staleIfErrorSeconds: HOUR_S });

      // Act
      await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice' })], nowMs);
      const { Item } = await table.dynamo.documentClient.send(
        new GetCommand({ TableName: table.tableName, Key: { pk: profileKey(APP, 'alice') } }),
      );

      // Assess
      expect(Item?.expiresAt).toBe((T0 + (TTL_S + HOUR_S) * 1000) / 1000);
    });

    it('reads for no-cache only when it names a stale-if-error window, and then nothing as fresh', async () => {
      // Prepare
      const { clients, seen } = observedClients();
      const cache = cacheWith({ client: clients.documentClient, staleIfErrorSeconds: HOUR_S });
      await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice' })], nowMs);
      seen.length = 0;

      // Act
      const plain = await cache.read(APP, ['alice'], [NICK], { mode: 'no-cache' });
      const withFallback = await cache.read(APP, ['alice'], [NICK], {
        mode: 'no-cache',
        staleIfErrorSeconds: 60,
      });

      // Assess
      expect(plain.size).toBe(0);
      expect(withFallback.get('alice')).toEqual({ item: found('alice', { [NICK]: 'Alice' }), freshForMs: 0 });
      expect(seen.map((command) => command.name)).toEqual(['BatchGetItemCommand']);
    });
  });

  describe('the write deadline', () => {
    it('stores nothing once the deadline has passed, counting what it dropped and reporting no error', async () => {
      // Prepare
      const { clients, seen } = observedClients();
      const cache = cacheWith({ client: clients.documentClient });

      // Act
      const dropped = await cache.write(
        APP,
        [NICK],
        [found('alice', { [NICK]: 'A' }), notFound('ghost')],
        nowMs,
        nowMs,
      );

      // Assess
      expect(dropped).toBe(2);
      expect(seen).toEqual([]);
      expect(errors).toEqual([]);
    });

    it('aborts the calls still in flight at the deadline and starts no more: the rest is dropped', async () => {
      // Prepare: each UpdateItem waits 200 ms before it reaches dynalite.
      const clients = table.dynamo.newClients();
      interceptCommands(clients, async (_command, proceed) => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        return proceed();
      });
      const cache = cacheWith({ client: clients.documentClient, now: Date.now, writeConcurrency: 5 });
      const items = Array.from({ length: 40 }, (_, i) => found(`user-${i}`, { [NICK]: 'x' }));

      // Act
      const dropped = await cache.write(APP, [NICK], items, Date.now(), Date.now() + 300);

      // Assess: 40 calls of 200 ms, five at a time, take 1.6 s; what was stored by 300 ms is all that is.
      const stored = hitsOf(
        await cacheWith({ now: Date.now }).read(
          APP,
          items.map((i) => i.To_Account),
          [NICK],
          DEFAULT,
        ),
      );
      // A call aborted after it reached DynamoDB may still land: it counts as dropped all the same.
      expect(dropped).toBeGreaterThanOrEqual(40 - stored.size);
      expect(stored.size).toBeLessThanOrEqual(5);
      expect(errors).toEqual([]);
    });
  });

  describe('applyChanges (webhook profile changes)', () => {
    it('updates a cached tag from a newer event, and ignores an older one that arrives later', async () => {
      // Prepare
      const cache = cacheWith();
      await cache.write(
        APP,
        [NICK, GENDER],
        [found('alice', { [NICK]: 'Alice', [GENDER]: 'Gender_Type_Female' })],
        nowMs,
      );

      // Act
      const newer = await cache.applyChanges(APP, 'alice', [{ Tag: NICK, Value: 'Alice 2' }], T0 + 2000);
      const older = await cache.applyChanges(APP, 'alice', [{ Tag: NICK, Value: 'Alice 1' }], T0 + 1000);
      const hits = hitsOf(await cache.read(APP, ['alice'], [NICK, GENDER], DEFAULT));

      // Assess
      expect([newer, older]).toEqual([1, 0]);
      expect(hits.get('alice')).toEqual(
        found('alice', { [NICK]: 'Alice 2', [GENDER]: 'Gender_Type_Female' }),
      );
    });

    it('never overwrites a value fetched after the event', async () => {
      // Prepare
      const cache = cacheWith();
      await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice now' })], nowMs);

      // Act
      const applied = await cache.applyChanges(APP, 'alice', [{ Tag: NICK, Value: 'Alice before' }], T0 - 1);
      const hits = hitsOf(await cache.read(APP, ['alice'], [NICK], DEFAULT));

      // Assess
      expect(applied).toBe(0);
      expect(hits.get('alice')).toEqual(found('alice', { [NICK]: 'Alice now' }));
    });

    it('forgets a cached tag older than the event when told to, and keeps one fetched after it', async () => {
      // Prepare
      const cache = cacheWith();
      await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice' })], nowMs);
      await cache.write(APP, [NICK], [found('bob', { [NICK]: 'Bob now' })], nowMs);

      // Act
      const forgotten = await cache.applyChanges(APP, 'alice', [], T0 + 1000, undefined, [NICK]);
      const kept = await cache.applyChanges(APP, 'bob', [], T0 - 1, undefined, [NICK]);
      const hits = hitsOf(await cache.read(APP, ['alice', 'bob'], [NICK], DEFAULT));

      // Assess
      expect([forgotten, kept]).toEqual([1, 0]);
      expect(hits.has('alice')).toBe(false);
      expect(hits.get('bob')).toEqual(found('bob', { [NICK]: 'Bob now' }));
    });

    it('creates nothing for an account that is not cached', async () => {
      // Prepare
      const cache = cacheWith();

      // Act
      const applied = await cache.applyChanges(APP, 'stranger', [{ Tag: NICK, Value: 'S' }], T0);
      const { Item } = await table.dynamo.documentClient.send(
        new GetCommand({ TableName: table.tableName, Key: { pk: profileKey(APP, 'stranger') } }),
      );

      // Assess
      expect(applied).toBe(0);
      expect(Item).toBeUndefined();
    });

    it('turns a cached "not found" into a found account when the event is newer', async () => {
      // Prepare
      const cache = cacheWith();
      await cache.write(APP, [NICK], [notFound('newbie')], nowMs);

      // Act
      const applied = await cache.applyChanges(APP, 'newbie', [{ Tag: NICK, Value: 'Newbie' }], T0 + 500);
      const nick = hitsOf(await cache.read(APP, ['newbie'], [NICK], DEFAULT));
      const withGender = hitsOf(await cache.read(APP, ['newbie'], [NICK, GENDER], DEFAULT));

      // Assess
      expect(applied).toBe(1);
      expect(nick.get('newbie')).toEqual(found('newbie', { [NICK]: 'Newbie' }));
      expect(withGender.has('newbie')).toBe(false);
    });

    it('throws when DynamoDB is unreachable, for the webhook to report', async () => {
      // Prepare
      const down = loopbackClients(await closedLoopbackOrigin());
      const cache = cacheWith({ client: down.documentClient });

      // Act
      const outcome = cache.applyChanges(APP, 'alice', [{ Tag: NICK, Value: 'A' }], T0);

      // Assess
      await expect(outcome).rejects.toThrow();
      down.client.destroy();
    });

    it('keeps at most writeConcurrency writes in flight, adding no listener per write to the signal', async () => {
      // Prepare
      const clients = table.dynamo.newClients();
      const signal = new AbortController().signal;
      let inFlight = 0;
      const widest: number[] = [];
      const listeners: number[] = [];
      interceptCommands(clients, async (_command, proceed) => {
        inFlight += 1;
        widest.push(inFlight);
        listeners.push(getEventListeners(signal, 'abort').length);
        try {
          return await proceed();
        } finally {
          inFlight -= 1;
        }
      });
      const cache = cacheWith({ client: clients.documentClient, writeConcurrency: 4 });
      await cache.write(APP, [NICK], [found('wide', { [NICK]: 'Wide' })], T0);
      const changes = Array.from({ length: 32 }, (_, i) => ({ Tag: `Tag_Profile_Custom_f${i}`, Value: 'x' }));

      // Act
      const applied = await cache.applyChanges(APP, 'wide', changes, T0 + 1_000, signal);

      // Assess
      expect(applied).toBe(32);
      expect(Math.max(...widest)).toBe(4);
      expect(Math.max(...listeners)).toBe(0);
    });

    it('starts no write once the signal has aborted', async () => {
      // Prepare
      const { clients, seen } = observedClients();
      const cache = cacheWith({ client: clients.documentClient });
      const signal = AbortSignal.abort(new Error('the webhook budget is spent'));

      // Act
      const outcome = cache.applyChanges(APP, 'alice', [{ Tag: NICK, Value: 'A' }], T0, signal);

      // Assess
      await expect(outcome).rejects.toThrow('the webhook budget is spent');
      expect(seen).toEqual([]);
    });
  });

  describe("stamps ahead of the clock (a webhook body is not covered by Tencent's signature)", () => {
    const storedExpiry = async (account: string) =>
      (
        await table.dynamo.documentClient.send(
          new GetCommand({ TableName: table.tableName, Key: { pk: profileKey(APP, account) } }),
        )
      ).Item?.expiresAt;

    describe.each([
      { ahead: 'exactly the allowed skew', aheadMs: SKEW_MS, hit: true },
      { ahead: '1 ms more than the allowed skew', aheadMs: SKEW_MS + 1, hit: false },
      { ahead: 'a day', aheadMs: DAY_MS, hit: false },
    ])('a value stamped $ahead ahead of now', ({ aheadMs, hit }) => {
      it(hit ? 'is believed: a hit' : 'is not believed: a miss', async () => {
        // Prepare: as if a webhook with a future EventTime had got past the receiver
        const cache = cacheWith();
        await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice' })], nowMs);
        const applied = await cache.applyChanges(
          APP,
          'alice',
          [{ Tag: NICK, Value: 'Pinned' }],
          T0 + aheadMs,
        );

        // Act
        const hits = hitsOf(await cache.read(APP, ['alice'], [NICK], DEFAULT));

        // Assess
        expect(applied).toBe(1);
        expect(hits.get('alice')).toEqual(hit ? found('alice', { [NICK]: 'Pinned' }) : undefined);
      });
    });

    it('lets a later fetch replace a value stamped beyond the skew, and never serves it again', async () => {
      // Prepare
      const cache = cacheWith();
      await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice' })], nowMs);
      await cache.applyChanges(APP, 'alice', [{ Tag: NICK, Value: 'Pinned' }], T0 + DAY_MS);

      // Act
      nowMs = T0 + 1000;
      await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice 2' })], T0 + 1000);
      const fetched = hitsOf(await cache.read(APP, ['alice'], [NICK], DEFAULT));
      nowMs = T0 + DAY_MS;
      const atTheForgedStamp = hitsOf(await cache.read(APP, ['alice'], [NICK], DEFAULT));

      // Assess
      expect(fetched.get('alice')).toEqual(found('alice', { [NICK]: 'Alice 2' }));
      expect(atTheForgedStamp.has('alice')).toBe(false);
      expect(errors).toEqual([]);
    });

    it('lets a later webhook replace a value stamped beyond the skew', async () => {
      // Prepare
      const cache = cacheWith();
      await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice' })], nowMs);
      await cache.applyChanges(APP, 'alice', [{ Tag: NICK, Value: 'Pinned' }], T0 + DAY_MS);

      // Act
      const applied = await cache.applyChanges(APP, 'alice', [{ Tag: NICK, Value: 'Alice 2' }], T0 + 500);
      const hits = hitsOf(await cache.read(APP, ['alice'], [NICK], DEFAULT));

      // Assess
      expect(applied).toBe(1);
      expect(hits.get('alice')).toEqual(found('alice', { [NICK]: 'Alice 2' }));
    });

    it('keeps the item no longer than a value stamped at the skew would need', async () => {
      // Prepare
      const cache = cacheWith();
      await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice' })], nowMs);

      // Act
      await cache.applyChanges(APP, 'alice', [{ Tag: NICK, Value: 'Pinned' }], T0 + 365 * DAY_MS);
      const expiresAt = await storedExpiry('alice');

      // Assess
      expect(expiresAt).toBe((T0 + SKEW_MS + TTL_S * 1000) / 1000);
    });

    it('misses on max-age=0 even for a value stamped within the skew ahead', async () => {
      // Prepare
      const cache = cacheWith();
      await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice' })], nowMs);
      await cache.applyChanges(APP, 'alice', [{ Tag: NICK, Value: 'Alice 2' }], T0 + 30_000);

      // Act
      const revalidate = hitsOf(
        await cache.read(APP, ['alice'], [NICK], { mode: 'max-age', maxAgeSeconds: 0 }),
      );
      const byDefault = hitsOf(await cache.read(APP, ['alice'], [NICK], DEFAULT));

      // Assess
      expect(revalidate.has('alice')).toBe(false);
      expect(byDefault.get('alice')).toEqual(found('alice', { [NICK]: 'Alice 2' }));
    });

    it('still serves a "not found": a tag stamped beyond the skew does not prove the account exists', async () => {
      // Prepare
      const cache = cacheWith();
      await cache.write(APP, [NICK], [notFound('ghost')], nowMs);
      const applied = await cache.applyChanges(
        APP,
        'ghost',
        [{ Tag: GENDER, Value: 'Gender_Type_Male' }],
        T0 + DAY_MS,
      );

      // Act
      const hits = hitsOf(await cache.read(APP, ['ghost'], [NICK], DEFAULT));

      // Assess
      expect(applied).toBe(1);
      expect(hits.get('ghost')).toEqual(notFound('ghost'));
    });

    it('misses on a "not found" stamped beyond the skew, and lets a later fetch replace it', async () => {
      // Prepare
      const cache = cacheWith();
      await cache.write(APP, [NICK], [notFound('ghost')], T0 + DAY_MS);
      const ahead = hitsOf(await cache.read(APP, ['ghost'], [NICK], DEFAULT));

      // Act
      nowMs = T0 + 1000;
      await cache.write(APP, [NICK], [notFound('ghost')], T0 + 1000);
      const replaced = hitsOf(await cache.read(APP, ['ghost'], [NICK], DEFAULT));

      // Assess
      expect(ahead.has('ghost')).toBe(false);
      expect(replaced.get('ghost')).toEqual(notFound('ghost'));
    });
  });

  describe('stamps: what was fetched before a change never replaces it', () => {
    const storedItem = async (account: string) =>
      (
        await table.dynamo.documentClient.send(
          new GetCommand({ TableName: table.tableName, Key: { pk: profileKey(APP, account) } }),
        )
      ).Item;

    it("keeps a webhook's change that landed while a fetch was in flight, and stores the fetch's other tags", async () => {
      // Prepare: cached a minute ago; a fetch starts at T0, the nickname changes at T0 + 400
      const cache = cacheWith();
      nowMs = T0 - 60_000;
      await cache.write(
        APP,
        [NICK, GENDER],
        [found('alice', { [NICK]: 'Alice', [GENDER]: 'Gender_Type_Female' })],
        nowMs,
      );
      nowMs = T0 + 500;
      const applied = await cache.applyChanges(APP, 'alice', [{ Tag: NICK, Value: 'Alice 2' }], T0 + 400);

      // Act: Tencent's answer, from before the change, lands after the webhook
      nowMs = T0 + 1000;
      await cache.write(
        APP,
        [NICK, GENDER, LEVEL],
        [found('alice', { [NICK]: 'Alice', [GENDER]: 'Gender_Type_Male', [LEVEL]: 3 })],
        T0,
      );
      const hits = hitsOf(await cache.read(APP, ['alice'], [NICK, GENDER, LEVEL], DEFAULT));

      // Assess
      expect(applied).toBe(1);
      expect(hits.get('alice')).toEqual(
        found('alice', { [NICK]: 'Alice 2', [GENDER]: 'Gender_Type_Male', [LEVEL]: 3 }),
      );
      expect(errors).toEqual([]);
    });

    it("replaces a webhook's value with an answer fetched after the event", async () => {
      // Prepare
      const cache = cacheWith();
      await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice' })], T0);
      await cache.applyChanges(APP, 'alice', [{ Tag: NICK, Value: 'Alice 2' }], T0 + 400);

      // Act
      nowMs = T0 + 1000;
      await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice 3' })], T0 + 401);
      const hits = hitsOf(await cache.read(APP, ['alice'], [NICK], DEFAULT));

      // Assess
      expect(hits.get('alice')).toEqual(found('alice', { [NICK]: 'Alice 3' }));
    });

    it('serves the newest stamp of each tag, whatever order fetches and webhook events land in', async () => {
      const cache = cacheWith();
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(
            fc.record({
              stamp: fc.integer({ min: 1, max: 100_000 }),
              source: fc.constantFrom('fetch', 'webhook'),
            }),
            { selector: (landing) => landing.stamp, minLength: 1, maxLength: 6 },
          ),
          async (landings) => {
            // Prepare: a cached account; fetches answer both tags, events change the nickname only
            run += 1;
            const account = `racer${run}`;
            nowMs = T0 + 200_000;
            await cache.write(APP, [NICK, GENDER], [found(account, { [NICK]: 'n@0', [GENDER]: 'g@0' })], T0);
            const fetchStamps = landings.filter((landing) => landing.source === 'fetch').map((l) => l.stamp);
            const newestNick = Math.max(0, ...landings.map((landing) => landing.stamp));
            const newestGender = Math.max(0, ...fetchStamps);

            // Act: in array order, each stamped T0 + stamp
            for (const { stamp, source } of landings) {
              if (source === 'fetch')
                await cache.write(
                  APP,
                  [NICK, GENDER],
                  [found(account, { [NICK]: `n@${stamp}`, [GENDER]: `g@${stamp}` })],
                  T0 + stamp,
                );
              else await cache.applyChanges(APP, account, [{ Tag: NICK, Value: `n@${stamp}` }], T0 + stamp);
            }
            const hits = hitsOf(await cache.read(APP, [account], [NICK, GENDER], DEFAULT));

            // Assess
            expect(hits.get(account)).toEqual(
              found(account, { [NICK]: `n@${newestNick}`, [GENDER]: `g@${newestGender}` }),
            );
          },
        ),
        { numRuns: 40 },
      );
      expect(errors).toEqual([]);
    });

    it('counts freshness from the fetch start, not from when the answer was stored', async () => {
      // Prepare: the answer lands 5 s after its call started
      const cache = cacheWith();
      nowMs = T0 + 5000;
      await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice' })], T0);

      // Act
      const narrowed = hitsOf(
        await cache.read(APP, ['alice'], [NICK], { mode: 'max-age', maxAgeSeconds: 5 }),
      );
      nowMs = T0 + TTL_S * 1000 - 1;
      const lastFresh = hitsOf(await cache.read(APP, ['alice'], [NICK], DEFAULT));
      nowMs = T0 + TTL_S * 1000;
      const expired = hitsOf(await cache.read(APP, ['alice'], [NICK], DEFAULT));

      // Assess
      expect(narrowed.has('alice')).toBe(false);
      expect(lastFresh.has('alice')).toBe(true);
      expect(expired.has('alice')).toBe(false);
    });

    it('keeps what a webhook (re)created after a 40003 was fetched, and hides what was cached before it', async () => {
      // Prepare: cached a minute ago; a fetch at T0 finds no account; at T0 + 400 it has a nickname
      const cache = cacheWith();
      nowMs = T0 - 60_000;
      await cache.write(
        APP,
        [NICK, GENDER],
        [found('phoenix', { [NICK]: 'Old', [GENDER]: 'Gender_Type_Female' })],
        nowMs,
      );
      nowMs = T0 + 500;
      await cache.applyChanges(APP, 'phoenix', [{ Tag: NICK, Value: 'Reborn' }], T0 + 400);

      // Act: the 40003 lands after the webhook
      nowMs = T0 + 1000;
      await cache.write(APP, [NICK, GENDER], [notFound('phoenix')], T0);
      const nick = hitsOf(await cache.read(APP, ['phoenix'], [NICK], DEFAULT));
      const withGender = hitsOf(await cache.read(APP, ['phoenix'], [NICK, GENDER], DEFAULT));

      // Assess
      expect(nick.get('phoenix')).toEqual(found('phoenix', { [NICK]: 'Reborn' }));
      expect(withGender.has('phoenix')).toBe(false);
    });

    type Landing = { kind: 'values' | '40003'; fetchedAt: number };
    describe.each<{ first: Landing; second: Landing; served: Landing['kind'] }>([
      { first: { kind: 'values', fetchedAt: 0 }, second: { kind: '40003', fetchedAt: 100 }, served: '40003' },
      { first: { kind: '40003', fetchedAt: 100 }, second: { kind: 'values', fetchedAt: 0 }, served: '40003' },
      {
        first: { kind: '40003', fetchedAt: 0 },
        second: { kind: 'values', fetchedAt: 100 },
        served: 'values',
      },
      {
        first: { kind: 'values', fetchedAt: 100 },
        second: { kind: '40003', fetchedAt: 0 },
        served: 'values',
      },
      { first: { kind: '40003', fetchedAt: 100 }, second: { kind: '40003', fetchedAt: 0 }, served: '40003' },
    ])(
      '$first.kind fetched at +$first.fetchedAt ms, then $second.kind fetched at +$second.fetchedAt ms',
      ({ first, second, served }) => {
        it(`serves the later-fetched answer: ${served}`, async () => {
          // Prepare
          const cache = cacheWith();
          const answer = (landing: Landing) =>
            landing.kind === 'values' ? found('ivan', { [NICK]: 'Ivan' }) : notFound('ivan');
          nowMs = T0 + 1000;

          // Act
          for (const landing of [first, second])
            await cache.write(APP, [NICK], [answer(landing)], T0 + landing.fetchedAt);
          const hits = hitsOf(await cache.read(APP, ['ivan'], [NICK], DEFAULT));

          // Assess
          expect(hits.get('ivan')).toEqual(answer({ kind: served, fetchedAt: 0 }));
        });
      },
    );

    describe.each<{ last: string; land: (cache: DynamoProfileCache) => Promise<number> }>([
      {
        last: 'values fetched before the event',
        land: (cache) => cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice' })], T0 + 100),
      },
      {
        last: 'a 40003 fetched before the event',
        land: (cache) => cache.write(APP, [NICK], [notFound('alice')], T0 + 100),
      },
    ])('when $last land last', ({ land }) => {
      it("keeps the item at least until the webhook's tag expires", async () => {
        // Prepare
        const cache = cacheWith();
        await cache.write(APP, [NICK], [found('alice', { [NICK]: 'Alice' })], T0);
        nowMs = T0 + 500;
        await cache.applyChanges(APP, 'alice', [{ Tag: GENDER, Value: 'Gender_Type_Female' }], T0 + 400);

        // Act
        nowMs = T0 + 1000;
        await land(cache);
        const item = await storedItem('alice');

        // Assess
        expect(item?.expiresAt).toBeGreaterThanOrEqual((T0 + 400 + TTL_S * 1000) / 1000);
      });
    });

    it("keeps every expression of a 100-tag write within DynamoDB's 4 KB limit, and stores every tag", async () => {
      // Prepare
      const { clients, seen } = observedClients();
      const cache = cacheWith({ client: clients.documentClient });
      const tags = Array.from({ length: 100 }, (_, i) => `Tag_Profile_Custom_Field${i}`);
      const profile = Object.fromEntries(tags.map((tag, i) => [tag, i]));

      // Act
      await cache.write(APP, tags, [found('wide', profile)], T0);
      const hits = hitsOf(await cache.read(APP, ['wide'], tags, DEFAULT));

      // Assess
      const expressions = seen
        .filter((command) => command.name === 'UpdateItemCommand')
        .flatMap((command) => [command.input.UpdateExpression, command.input.ConditionExpression]);
      expect(expressions.length).toBeGreaterThan(0);
      for (const expression of expressions)
        expect(Buffer.byteLength(String(expression))).toBeLessThanOrEqual(4096);
      expect(hits.get('wide')).toEqual(found('wide', profile));
      expect(errors).toEqual([]);
    });
  });
});
