import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ResultTooLargeError } from '../../../shared/errors.ts';
import { failureOf } from '../../../shared/failure.ts';
import { accountsThatFit } from '../../../shared/portrait/accounts-that-fit.ts';
import { replyFor } from '../../../shared/portrait/merge.ts';
import type { PortraitGetResponse, UserProfileItem } from '../../../shared/tencent/portrait-types.ts';

const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

/** How the consumer writes a result: the reply with its CorrelationId. */
const encodeWith =
  (correlationId: string) =>
  (reply: PortraitGetResponse): string =>
    JSON.stringify({ ...reply, CorrelationId: correlationId });

const failureArbitrary = (account: fc.Arbitrary<string>) =>
  fc.record({
    To_Account: account,
    ResultCode: fc.constantFrom(40003, 70500),
    ResultInfo: fc.string({ maxLength: 40 }),
  });

/** A served account: its profile values (any text, multi-byte and characters JSON escapes included), or a failure. */
const itemArbitrary = fc.oneof(
  fc.record({
    To_Account: fc.string({ minLength: 1, maxLength: 32 }),
    ProfileItem: fc.array(
      fc.record({
        Tag: fc.constantFrom('Tag_Profile_IM_Nick', 'Tag_Profile_Custom_Team'),
        Value: fc.oneof(fc.string({ unit: 'binary', maxLength: 500 }), fc.nat()),
      }),
      { maxLength: 2 },
    ),
    ResultCode: fc.constant(0),
    ResultInfo: fc.constant(''),
  }),
  failureArbitrary(fc.string({ minLength: 1, maxLength: 32 })),
);

/** Accounts of one size: where an estimate from the largest is tight, and any byte miscounted shows. */
const uniformItemsArbitrary = fc
  .tuple(
    fc.string({ unit: 'binary', maxLength: 500 }),
    fc.integer({ min: 1, max: 60 }),
    fc.constantFrom('served', 'not found', 'every other'),
  )
  .map(([value, count, outcome]): UserProfileItem[] =>
    Array.from({ length: count }, (_, i) => {
      const To_Account = `u${String(i).padStart(4, '0')}`;
      const found = outcome === 'served' || (outcome === 'every other' && i % 2 === 0);
      return found
        ? {
            To_Account,
            ProfileItem: [{ Tag: 'Tag_Profile_IM_Nick', Value: value }],
            ResultCode: 0,
            ResultInfo: '',
          }
        : { To_Account, ResultCode: 40003, ResultInfo: 'not found' };
    }),
  );

const itemsArbitrary = fc.oneof(
  fc.uniqueArray(itemArbitrary, { minLength: 1, maxLength: 60, selector: (item) => item.To_Account }),
  uniformItemsArbitrary,
);

describe('accountsThatFit', () => {
  it('any that many of the accounts, the largest ones included, fit one message', () => {
    fc.assert(
      fc.property(
        itemsArbitrary,
        fc.string({ maxLength: 256 }),
        fc.nat(),
        fc.nat({ max: 64 }),
        (items: UserProfileItem[], correlationId, cut, slack) => {
          const encode = encodeWith(correlationId);
          const byAccount = new Map(items.map((item) => [item.To_Account, item] as const));
          const largestFirst = items.toSorted(
            (a, b) => byteLength(JSON.stringify(b)) - byteLength(JSON.stringify(a)),
          );
          const resultOf = (count: number) =>
            replyFor(
              largestFirst.slice(0, count).map((item) => item.To_Account),
              byAccount,
            );
          // A limit just above what some number of the largest accounts take: where rounding bites.
          const maxBytes = byteLength(encode(resultOf(1 + (cut % items.length)))) + slack;

          const fitting = accountsThatFit(resultOf(items.length), encode, maxBytes);

          expect(byteLength(encode(resultOf(fitting)))).toBeLessThanOrEqual(maxBytes);
        },
      ),
    );
  });

  it('is 0 when not even one account fits', () => {
    const item = {
      To_Account: 'alice',
      ProfileItem: [{ Tag: 'Tag_Profile_IM_Nick', Value: 'a'.repeat(2_000) }],
    };
    const reply = replyFor(['alice'], new Map([['alice', { ...item, ResultCode: 0, ResultInfo: '' }]]));

    const fitting = accountsThatFit(reply, encodeWith('c1'), 1_024);

    expect(fitting).toBe(0);
  });
});

describe('ResultTooLargeError', () => {
  it('is answered as a 40001 for To_Account that is never retried, saying how many accounts fit', () => {
    const error = new ResultTooLargeError('one queue message', 1_500_000, 1_048_576, 640);

    const { envelope: body } = failureOf(error);

    expect(error.retryable).toBe(false);
    expect(error.field).toBe('To_Account');
    expect(body).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 40001 });
    expect(body.ErrorInfo).toContain('1500000 bytes');
    expect(body.ErrorInfo).toContain('1048576');
    expect(body.ErrorInfo).toContain('too large for one queue message');
    expect(body.ErrorInfo).toContain('at most 640 fit');
    expect(error.accountsThatFit).toBe(640);
  });
});
