import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DynamoProfileCache } from '../../shared/cache/profile-cache.ts';
import type { CacheMode, CachePolicy } from '../../shared/portrait/ports.ts';
import type { UserProfileItem } from '../../shared/tencent/portrait-types.ts';
import { dynaliteTablePerTest } from '../support/dynalite.ts';
import { InMemoryProfileCache } from '../support/in-memory-profile-cache.ts';
import { ManualClock } from '../support/manual-clock.ts';

const TAGS = ['Tag_Profile_IM_Nick', 'Tag_Profile_IM_Gender', 'Tag_Profile_IM_Level'];
const ACCOUNTS = ['alice', 'bob'];
/** An hour past freshness: long enough that reads see entries fresh, stale, and gone. */
const STALE_S = 3600;

/** One step of a cache's life: a write of Tencent's answers, a read, or time passing. */
type Op =
  | { kind: 'write'; tags: string[]; answers: UserProfileItem[]; stampOffsetMs: number }
  | { kind: 'read'; tags: string[]; policy: CachePolicy }
  | { kind: 'advance'; ms: number };

const tagsArb = fc.subarray(TAGS, { minLength: 1 });
const answerArb = (account: string, tags: readonly string[]): fc.Arbitrary<UserProfileItem> =>
  fc.oneof(
    fc.subarray([...tags]).chain((answered) =>
      fc
        .array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer()), {
          minLength: answered.length,
          maxLength: answered.length,
        })
        .map((values) => ({
          To_Account: account,
          ProfileItem: answered.map((Tag, i) => ({ Tag, Value: values[i] as string | number })),
          ResultCode: 0,
          ResultInfo: '',
        })),
    ),
    fc
      .constantFrom(40003, 40006)
      .map((ResultCode) => ({ To_Account: account, ResultCode, ResultInfo: 'no' })),
  );
const opArb: fc.Arbitrary<Op> = fc.oneof(
  tagsArb.chain((tags) =>
    fc.record({
      kind: fc.constant('write' as const),
      tags: fc.constant(tags),
      answers: fc
        .subarray(ACCOUNTS, { minLength: 1 })
        .chain((accounts) => fc.tuple(...accounts.map((account) => answerArb(account, tags)))),
      // A fetch that started before now, or a stamp within the allowed skew ahead, or beyond it.
      stampOffsetMs: fc.oneof(
        fc.integer({ min: -700_000, max: 0 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 60_001, max: 120_000 }),
      ),
    }),
  ),
  fc.record({
    kind: fc.constant('read' as const),
    tags: tagsArb,
    policy: fc
      .tuple(
        fc.oneof(
          fc.constant<CacheMode>({ mode: 'default' }),
          fc.constant<CacheMode>({ mode: 'no-cache' }),
          fc
            .integer({ min: 0, max: 700 })
            .map((maxAgeSeconds): CacheMode => ({ mode: 'max-age', maxAgeSeconds })),
        ),
        fc.option(fc.integer({ min: 0, max: 4000 }), { nil: undefined }),
      )
      .map(
        ([mode, staleIfErrorSeconds]): CachePolicy =>
          staleIfErrorSeconds === undefined ? mode : { ...mode, staleIfErrorSeconds },
      ),
  }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 1_500_000 }) }),
);

describe('InMemoryProfileCache, the unit tests’ cache', () => {
  const table = dynaliteTablePerTest();

  it('answers every read as DynamoProfileCache on dynalite does (fresh and stale entries), after any writes and any time', async () => {
    let app = 1_400_000_000;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 16 }), async (ops) => {
        // Prepare: a new app per run, so that runs share the table but no items.
        app += 1;
        const clock = new ManualClock();
        const fake = new InMemoryProfileCache({ now: clock.now, staleIfErrorSeconds: STALE_S });
        const real = new DynamoProfileCache({
          client: table.dynamo.documentClient,
          tableName: table.tableName,
          cacheTtlSeconds: 600,
          negativeCacheTtlSeconds: 60,
          maxClockSkewSeconds: 60,
          staleIfErrorSeconds: STALE_S,
          now: clock.now,
          onError: (_operation, error) => {
            throw error;
          },
        });

        for (const op of ops) {
          if (op.kind === 'advance') clock.advance(op.ms);
          else if (op.kind === 'write') {
            // Act
            const stamp = clock.now() + op.stampOffsetMs;
            await Promise.all([
              fake.write(app, op.tags, op.answers, stamp),
              real.write(app, op.tags, op.answers, stamp),
            ]);
          } else {
            const [fromFake, fromReal] = await Promise.all([
              fake.read(app, ACCOUNTS, op.tags, op.policy),
              real.read(app, ACCOUNTS, op.tags, op.policy),
            ]);

            // Assess
            expect(fromFake).toEqual(fromReal);
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});
