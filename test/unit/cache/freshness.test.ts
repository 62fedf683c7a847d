import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NOT_FOUND, type StoredItem, tagAttribute } from '../../../shared/cache/cached-item.ts';
import {
  configuredLimits,
  entryFrom,
  expiresAtSeconds,
  type FreshnessLimits,
  limitsFor,
  type ReadLimits,
  replaceableBy,
} from '../../../shared/cache/freshness.ts';
import type { CachePolicy } from '../../../shared/portrait/ports.ts';
import type { ProfileValue } from '../../../shared/tencent/portrait-types.ts';

const NOW = 1_800_000_000_000;
const TTL_MS = 600_000;
const NEGATIVE_TTL_MS = 60_000;
const SKEW_MS = 60_000;
const LIMITS = configuredLimits(TTL_MS / 1000, NEGATIVE_TTL_MS / 1000, SKEW_MS / 1000);
const READ: ReadLimits = { ...LIMITS, revalidate: false };
const NICK = 'Tag_Profile_IM_Nick';
const GENDER = 'Tag_Profile_IM_Gender';
const INFO = 'Err_Profile_PortraitGet_Account_Not_Exist';

/** An item as the store keeps it: tags stamped `ageMs` before NOW (negative: ahead), values optional. */
const itemOf = (
  tags: Record<string, { ageMs: number; v?: ProfileValue }>,
  notFoundAgeMs?: number,
): StoredItem => ({
  ...Object.fromEntries(
    Object.entries(tags).map(([tag, { ageMs, v }]) => [
      tagAttribute(tag),
      v === undefined ? { at: NOW - ageMs } : { v, at: NOW - ageMs },
    ]),
  ),
  ...(notFoundAgeMs !== undefined && { [NOT_FOUND]: { at: NOW - notFoundAgeMs, info: INFO } }),
});

const valuesHit = (...values: Array<[string, ProfileValue]>) => ({
  To_Account: 'alice',
  ProfileItem: values.map(([Tag, Value]) => ({ Tag, Value })),
  ResultCode: 0,
  ResultInfo: '',
});
const notFoundHit = { To_Account: 'alice', ResultCode: 40003, ResultInfo: INFO };

/** What a read under `limits` serves without asking Tencent: the entry's item while it is fresh. */
const hitFrom = (
  account: string,
  item: StoredItem,
  tags: readonly string[],
  limits: FreshnessLimits,
  nowMs: number,
) => {
  const entry = entryFrom(account, item, tags, { ...limits, revalidate: false }, nowMs);
  return entry && entry.freshForMs > 0 ? entry.item : undefined;
};

describe('entryFrom, fresh entries', () => {
  describe.each<{ label: string; item: StoredItem; tags: string[]; served: unknown }>([
    {
      label: 'every requested tag fresh: a hit in requested order',
      item: itemOf({ [NICK]: { ageMs: 1000, v: 'Alice' }, [GENDER]: { ageMs: 5, v: 'Gender_Type_Female' } }),
      tags: [GENDER, NICK],
      served: valuesHit([GENDER, 'Gender_Type_Female'], [NICK, 'Alice']),
    },
    {
      label: 'a tag Tencent had no value for: a hit that omits it',
      item: itemOf({ [NICK]: { ageMs: 1000 }, [GENDER]: { ageMs: 1000, v: 0 } }),
      tags: [NICK, GENDER],
      served: valuesHit([GENDER, 0]),
    },
    {
      label: 'a requested tag never cached: a miss',
      item: itemOf({ [NICK]: { ageMs: 1000, v: 'Alice' } }),
      tags: [NICK, GENDER],
      served: undefined,
    },
    {
      label: 'a tag one ms short of the TTL: a hit',
      item: itemOf({ [NICK]: { ageMs: TTL_MS - 1, v: 'Alice' } }),
      tags: [NICK],
      served: valuesHit([NICK, 'Alice']),
    },
    {
      label: 'a tag exactly TTL old: a miss',
      item: itemOf({ [NICK]: { ageMs: TTL_MS, v: 'Alice' } }),
      tags: [NICK],
      served: undefined,
    },
    {
      label: 'a tag stamped within the skew ahead: a hit',
      item: itemOf({ [NICK]: { ageMs: -SKEW_MS, v: 'Alice' } }),
      tags: [NICK],
      served: valuesHit([NICK, 'Alice']),
    },
    {
      label: 'a tag stamped beyond the skew ahead: a miss',
      item: itemOf({ [NICK]: { ageMs: -SKEW_MS - 1, v: 'Alice' } }),
      tags: [NICK],
      served: undefined,
    },
    {
      label: 'a fresh "not found" and no tag since: the 40003',
      item: itemOf({ [NICK]: { ageMs: 5000, v: 'Alice' } }, 1000),
      tags: [NICK],
      served: notFoundHit,
    },
    {
      label: 'a "not found" exactly its TTL old: a miss',
      item: itemOf({}, NEGATIVE_TTL_MS),
      tags: [NICK],
      served: undefined,
    },
    {
      label: 'a "not found" stamped beyond the skew ahead: a miss',
      item: itemOf({}, -SKEW_MS - 1),
      tags: [NICK],
      served: undefined,
    },
    {
      label: 'a tag stamped since the "not found": the account exists, its tags are served',
      item: itemOf({ [NICK]: { ageMs: 1000, v: 'Alice' } }, 1000),
      tags: [NICK],
      served: valuesHit([NICK, 'Alice']),
    },
    {
      label: 'one tag since the "not found", another from before it: a miss (the older one vanished)',
      item: itemOf({ [NICK]: { ageMs: 500, v: 'Alice' }, [GENDER]: { ageMs: 5000, v: 'x' } }, 1000),
      tags: [NICK, GENDER],
      served: undefined,
    },
    {
      label: 'only a tag stamped beyond the skew after the "not found": still the 40003',
      item: itemOf({ [NICK]: { ageMs: -SKEW_MS - 1, v: 'Alice' } }, 1000),
      tags: [NICK],
      served: notFoundHit,
    },
    {
      label: 'a "not found" without info: the 40003 with empty ResultInfo',
      item: { [NOT_FOUND]: { at: NOW } },
      tags: [NICK],
      served: { To_Account: 'alice', ResultCode: 40003, ResultInfo: '' },
    },
    {
      label: 'a tag without a numeric stamp: a miss',
      item: { [tagAttribute(NICK)]: { v: 'Alice', at: String(NOW) } },
      tags: [NICK],
      served: undefined,
    },
    {
      label: 'a "not found" without a numeric stamp: a miss',
      item: { ...itemOf({ [NICK]: { ageMs: 0, v: 'Alice' } }), [NOT_FOUND]: { info: INFO } },
      tags: [NICK],
      served: undefined,
    },
  ])('$label', ({ item, tags, served }) => {
    it('answers as the cache should', () => {
      expect(hitFrom('alice', item, tags, READ, NOW)).toEqual(served);
    });
  });
});

describe('entryFrom, stale entries', () => {
  const HOUR_MS = 3_600_000;
  const STALE: ReadLimits = { ...READ, staleMs: HOUR_MS };

  describe.each<{ label: string; item: StoredItem; tags: string[]; limits?: ReadLimits; entry: unknown }>([
    {
      label: 'a tag one ms short of the TTL: fresh for one more ms',
      item: itemOf({ [NICK]: { ageMs: TTL_MS - 1, v: 'Alice' } }),
      tags: [NICK],
      entry: { item: valuesHit([NICK, 'Alice']), freshForMs: 1 },
    },
    {
      label: 'a tag exactly TTL old: stale by nothing',
      item: itemOf({ [NICK]: { ageMs: TTL_MS, v: 'Alice' } }),
      tags: [NICK],
      entry: { item: valuesHit([NICK, 'Alice']), freshForMs: 0 },
    },
    {
      label: 'a tag one ms short of the end of the stale window: stale',
      item: itemOf({ [NICK]: { ageMs: TTL_MS + HOUR_MS - 1, v: 'Alice' } }),
      tags: [NICK],
      entry: { item: valuesHit([NICK, 'Alice']), freshForMs: 1 - HOUR_MS },
    },
    {
      label: 'a tag at the end of the stale window: a miss',
      item: itemOf({ [NICK]: { ageMs: TTL_MS + HOUR_MS, v: 'Alice' } }),
      tags: [NICK],
      entry: undefined,
    },
    {
      label: 'one fresh and one stale tag: as stale as the older',
      item: itemOf({ [NICK]: { ageMs: 1000, v: 'Alice' }, [GENDER]: { ageMs: TTL_MS + 5000, v: 'x' } }),
      tags: [NICK, GENDER],
      entry: { item: valuesHit([NICK, 'Alice'], [GENDER, 'x']), freshForMs: -5000 },
    },
    {
      label: 'a stale "not found": stale by its own, shorter TTL',
      item: itemOf({}, NEGATIVE_TTL_MS + 2000),
      tags: [NICK],
      entry: { item: notFoundHit, freshForMs: -2000 },
    },
    {
      label: 'a tag stamped before a believed "not found": never served, stale or not',
      item: itemOf({ [NICK]: { ageMs: TTL_MS + 10, v: 'Alice' }, [GENDER]: { ageMs: 5, v: 'x' } }, 1000),
      tags: [NICK, GENDER],
      entry: undefined,
    },
    {
      label: 'revalidate (no-cache): a fresh tag counts as stale by nothing',
      item: itemOf({ [NICK]: { ageMs: 1000, v: 'Alice' } }),
      tags: [NICK],
      limits: { ...STALE, revalidate: true },
      entry: { item: valuesHit([NICK, 'Alice']), freshForMs: 0 },
    },
    {
      label: 'revalidate (no-cache): a stale tag keeps its staleness',
      item: itemOf({ [NICK]: { ageMs: TTL_MS + 5000, v: 'Alice' } }),
      tags: [NICK],
      limits: { ...STALE, revalidate: true },
      entry: { item: valuesHit([NICK, 'Alice']), freshForMs: -5000 },
    },
  ])('$label', ({ item, tags, limits = STALE, entry }) => {
    it('is read as the rules say', () => {
      expect(entryFrom('alice', item, tags, limits, NOW)).toEqual(entry);
    });
  });
});

describe('limitsFor', () => {
  const STALE_LIMITS = configuredLimits(TTL_MS / 1000, NEGATIVE_TTL_MS / 1000, SKEW_MS / 1000, 3600);
  const read = (limits: Partial<ReadLimits>): ReadLimits => ({
    ...STALE_LIMITS,
    revalidate: false,
    ...limits,
  });

  describe.each<{ policy: CachePolicy; limits: ReadLimits | undefined }>([
    { policy: { mode: 'default' }, limits: read({}) },
    { policy: { mode: 'no-cache' }, limits: undefined },
    { policy: { mode: 'no-store' }, limits: undefined },
    {
      policy: { mode: 'max-age', maxAgeSeconds: 30 },
      limits: read({ valueMs: 30_000, notFoundMs: 30_000 }),
    },
    {
      policy: { mode: 'max-age', maxAgeSeconds: 300 },
      limits: read({ valueMs: 300_000 }),
    },
    { policy: { mode: 'max-age', maxAgeSeconds: 86_400 }, limits: read({}) },
    {
      policy: { mode: 'max-age', maxAgeSeconds: 0 },
      limits: read({ valueMs: 0, notFoundMs: 0 }),
    },
    // stale-if-error only narrows the configured window; 0 serves nothing stale.
    { policy: { mode: 'default', staleIfErrorSeconds: 60 }, limits: read({ staleMs: 60_000 }) },
    { policy: { mode: 'default', staleIfErrorSeconds: 0 }, limits: read({ staleMs: 0 }) },
    { policy: { mode: 'default', staleIfErrorSeconds: 7200 }, limits: read({}) },
    {
      policy: { mode: 'max-age', maxAgeSeconds: 30, staleIfErrorSeconds: 5 },
      limits: read({ valueMs: 30_000, notFoundMs: 30_000, staleMs: 5000 }),
    },
    // no-cache reads only as a fallback, and only when it asks for one.
    {
      policy: { mode: 'no-cache', staleIfErrorSeconds: 60 },
      limits: read({ staleMs: 60_000, revalidate: true }),
    },
    { policy: { mode: 'no-cache', staleIfErrorSeconds: 0 }, limits: undefined },
    { policy: { mode: 'no-store', staleIfErrorSeconds: 60 }, limits: undefined },
  ])('$policy', ({ policy, limits }) => {
    it(limits ? 'reads under these limits' : 'reads nothing', () => {
      expect(limitsFor(STALE_LIMITS, policy)).toEqual(limits);
    });
  });
});

describe('replaceableBy', () => {
  describe.each<{ label: string; cached: unknown; replaceable: boolean }>([
    { label: 'nothing cached', cached: undefined, replaceable: true },
    { label: 'an older stamp', cached: { v: 'a', at: NOW - 1 }, replaceable: true },
    { label: 'the same stamp', cached: { v: 'a', at: NOW }, replaceable: true },
    { label: 'a newer stamp', cached: { v: 'a', at: NOW + 1 }, replaceable: false },
    {
      label: 'a stamp 2 s after the write, within the skew ahead',
      cached: { at: NOW + 2000 },
      replaceable: false,
    },
    { label: 'a stamp beyond the skew ahead', cached: { at: NOW + 1000 + SKEW_MS + 1 }, replaceable: true },
  ])('$label', ({ cached, replaceable }) => {
    it(replaceable ? 'may be replaced by a write stamped now' : 'is kept', () => {
      expect(replaceableBy(cached, NOW, NOW + 1000, LIMITS)).toBe(replaceable);
    });
  });
});

describe('expiresAtSeconds', () => {
  const inSeconds = (ms: number) => Math.ceil(ms / 1000);

  describe.each([
    { label: 'stamped now', stampMs: NOW, expiresAt: inSeconds(NOW + TTL_MS) },
    { label: 'stamped before now (a fetch start)', stampMs: NOW - 5000, expiresAt: inSeconds(NOW + TTL_MS) },
    {
      label: 'stamped within the skew ahead',
      stampMs: NOW + 30_000,
      expiresAt: inSeconds(NOW + 30_000 + TTL_MS),
    },
    {
      label: 'stamped beyond the skew ahead: as if at the skew',
      stampMs: NOW + 10 * SKEW_MS,
      expiresAt: inSeconds(NOW + SKEW_MS + TTL_MS),
    },
    { label: 'stamped mid-second: rounded up', stampMs: NOW + 1, expiresAt: inSeconds(NOW + TTL_MS) + 1 },
  ])('$label', ({ stampMs, expiresAt }) => {
    it('keeps the item for the longer TTL from then', () => {
      expect(expiresAtSeconds(stampMs, NOW, LIMITS)).toBe(expiresAt);
    });
  });

  it('keeps an item through its stale-if-error window too', () => {
    const limits = configuredLimits(600, 60, 60, 86_400);

    expect(expiresAtSeconds(NOW, NOW, limits)).toBe(inSeconds(NOW + 600_000 + 86_400_000));
  });

  it('keeps an item for the negative TTL when that is the longer one', () => {
    const limits = configuredLimits(10, 60, 60);

    expect(expiresAtSeconds(NOW, NOW, limits)).toBe(inSeconds(NOW + 60_000));
  });
});

/** An item as the properties generate it: tag stamps and values, and maybe a "not found" stamp. */
interface GeneratedItem {
  tags: Record<string, { at: number; v: string | undefined }>;
  notFoundAt?: number;
}

describe('freshness properties', () => {
  const TAGS = ['A', 'B', 'C', 'D'];
  const limitsArb = fc.record({
    valueMs: fc.integer({ min: 0, max: 1_000_000 }),
    notFoundMs: fc.integer({ min: 0, max: 1_000_000 }),
    staleMs: fc.integer({ min: 0, max: 1_000_000 }),
    aheadMs: fc.integer({ min: 0, max: 120_000 }),
  });
  /** Stamps from long past to well beyond any skew ahead of NOW. */
  const stampArb = fc.integer({ min: NOW - 1_500_000, max: NOW + 300_000 });
  const itemArb: fc.Arbitrary<GeneratedItem> = fc.record(
    {
      tags: fc.dictionary(
        fc.constantFrom(...TAGS),
        fc.record({ at: stampArb, v: fc.option(fc.string({ maxLength: 4 }), { nil: undefined }) }),
      ),
      notFoundAt: stampArb,
    },
    { requiredKeys: ['tags'] },
  );
  const toStored = ({ tags, notFoundAt }: GeneratedItem): StoredItem => ({
    ...Object.fromEntries(
      Object.entries(tags).map(([tag, { at, v }]) => [
        tagAttribute(tag),
        v === undefined ? { at } : { v, at },
      ]),
    ),
    ...(notFoundAt !== undefined && { [NOT_FOUND]: { at: notFoundAt, info: INFO } }),
  });
  const requestedArb = fc.subarray(TAGS, { minLength: 1 });

  it('never serves a tag stamped before a believed "not found", nor a 40003 the account outlived', () => {
    fc.assert(
      fc.property(itemArb, requestedArb, limitsArb, (generated, requested, limits) => {
        const hit = hitFrom('alice', toStored(generated), requested, limits, NOW);

        const { notFoundAt, tags } = generated;
        if (hit === undefined || notFoundAt === undefined) return;
        if (hit.ResultCode === 0) {
          for (const tag of requested) expect(tags[tag]?.at).toBeGreaterThanOrEqual(notFoundAt);
        } else {
          const latest = NOW + limits.aheadMs;
          const since = Object.values(tags).filter(({ at }) => at >= notFoundAt && at <= latest);
          expect(since).toEqual([]);
        }
      }),
    );
  });

  it('never serves a stamp beyond the skew ahead', () => {
    fc.assert(
      fc.property(itemArb, requestedArb, limitsArb, (generated, requested, limits) => {
        const hit = hitFrom('alice', toStored(generated), requested, limits, NOW);

        const latest = NOW + limits.aheadMs;
        if (generated.notFoundAt !== undefined && generated.notFoundAt > latest) expect(hit).toBeUndefined();
        if (requested.some((tag) => (generated.tags[tag]?.at ?? 0) > latest))
          expect(hit?.ResultCode).not.toBe(0);
      }),
    );
  });

  it('lets the stale window only add stale entries: fresh ones and their items are the same without it', () => {
    fc.assert(
      fc.property(
        itemArb,
        requestedArb,
        limitsArb,
        fc.boolean(),
        (generated, requested, limits, revalidate) => {
          const item = toStored(generated);

          const withWindow = entryFrom('alice', item, requested, { ...limits, revalidate }, NOW);
          const without = entryFrom('alice', item, requested, { ...limits, staleMs: 0, revalidate }, NOW);

          if (without) expect(withWindow).toEqual(without);
          if (withWindow && withWindow.freshForMs > 0) expect(without).toEqual(withWindow);
          if (withWindow) expect(withWindow.freshForMs).toBeGreaterThan(-limits.staleMs);
          if (revalidate) expect(without).toBeUndefined();
        },
      ),
    );
  });

  it('lets max-age only narrow: what it serves, the default serves alike', () => {
    fc.assert(
      fc.property(
        itemArb,
        requestedArb,
        limitsArb,
        fc.integer({ min: 0, max: 2000 }),
        (generated, requested, configured, maxAgeSeconds) => {
          const narrowed = limitsFor(configured, { mode: 'max-age', maxAgeSeconds }) as FreshnessLimits;
          const item = toStored(generated);

          const hit = hitFrom('alice', item, requested, narrowed, NOW);

          expect(narrowed.valueMs).toBeLessThanOrEqual(configured.valueMs);
          expect(narrowed.notFoundMs).toBeLessThanOrEqual(configured.notFoundMs);
          expect(narrowed.aheadMs).toBe(configured.aheadMs);
          if (hit) expect(hitFrom('alice', item, requested, configured, NOW)).toEqual(hit);
        },
      ),
    );
  });

  it('expires an item no earlier than anything it serves, fresh or stale, stops being served', () => {
    fc.assert(
      fc.property(
        limitsArb,
        fc.integer({ min: NOW - 1_000_000, max: NOW }),
        fc.integer({ min: 0, max: 2_000_000 }),
        fc.integer({ min: 0, max: 3_000_000 }),
        fc.boolean(),
        (limits, stampMs, writeOffsetMs, laterMs, isNotFound) => {
          // A write lands when its stamp is at most the skew ahead of the clock (see expiresAtSeconds),
          // or any time after it.
          const writtenAt = stampMs - limits.aheadMs + writeOffsetMs;
          const item: StoredItem = isNotFound
            ? { [NOT_FOUND]: { at: stampMs, info: INFO } }
            : { [tagAttribute('A')]: { v: 'x', at: stampMs } };
          const expiresAtMs = expiresAtSeconds(stampMs, writtenAt, limits) * 1000;
          const readAt = writtenAt + laterMs;

          const entry = entryFrom('alice', item, ['A'], { ...limits, revalidate: false }, readAt);

          if (entry) expect(readAt).toBeLessThan(expiresAtMs);
        },
      ),
    );
  });
});

describe('freshness at the very edge of the allowed skew', () => {
  it('serves a "not found" stamped exactly the skew ahead', () => {
    expect(hitFrom('alice', itemOf({}, -SKEW_MS), [NICK], LIMITS, NOW)).toEqual(notFoundHit);
  });

  it('takes a tag stamped exactly the skew ahead as proof the account exists since its "not found"', () => {
    const item = itemOf({ [NICK]: { ageMs: -SKEW_MS, v: 'Alice' } }, 1000);

    expect(hitFrom('alice', item, [NICK], LIMITS, NOW)).toEqual(valuesHit([NICK, 'Alice']));
  });

  it('keeps a value stamped exactly the skew ahead of the clock against an older write', () => {
    expect(replaceableBy({ v: 'a', at: NOW + 1000 + SKEW_MS }, NOW, NOW + 1000, LIMITS)).toBe(false);
  });
});
