import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunk, uniqueInOrder } from '../../../shared/portrait/chunking.ts';
import { NO_ENTRY_CODE, replyFor } from '../../../shared/portrait/merge.ts';
import { TENCENT_MAX_ACCOUNTS } from '../../../shared/tencent/limits.ts';
import type { UserProfileItem } from '../../../shared/tencent/portrait-types.ts';

const account = fc.stringMatching(/^[a-z0-9_]{1,6}$/);
const resultCode = fc.constantFrom(0, 0, 0, 40003, 40006);

const itemFor = (To_Account: string, ResultCode: number): UserProfileItem =>
  ResultCode === 0
    ? {
        To_Account,
        ResultCode,
        ResultInfo: '',
        ProfileItem: [{ Tag: 'Tag_Profile_IM_Nick', Value: To_Account }],
      }
    : { To_Account, ResultCode, ResultInfo: 'failed' };

describe('chunk', () => {
  it('splits any list into consecutive chunks of at most 100 that concatenate back to it', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 1200 }), (values) => {
        const chunks = chunk(values);

        expect(chunks.flat()).toEqual(values);
        expect(chunks.every((c) => c.length >= 1 && c.length <= TENCENT_MAX_ACCOUNTS)).toBe(true);
        expect(chunks.length).toBe(Math.ceil(values.length / TENCENT_MAX_ACCOUNTS));
      }),
    );
  });

  it('makes exactly 3 chunks of 250 accounts', () => {
    const accounts = Array.from({ length: 250 }, (_, i) => `u${i}`);

    const chunks = chunk(accounts);

    expect(chunks.map((c) => c.length)).toEqual([100, 100, 50]);
  });

  it.each([0, -1, 1.5])('refuses a chunk size of %s', (size) => {
    expect(() => chunk([1], size)).toThrow(RangeError);
  });
});

describe('replyFor', () => {
  it('answers every unique account once, in first-seen order, with Fail_Account exactly the failures', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(account, resultCode), { maxLength: 300 }), (pairs) => {
        const requested = pairs.map(([a]) => a);
        const items = new Map(pairs.map(([a, code]) => [a, itemFor(a, code)]));

        const reply = replyFor(requested, items);

        const answered = reply.UserProfileItem?.map((item) => item.To_Account);
        expect(answered).toEqual(uniqueInOrder(requested));
        const failures = reply.UserProfileItem?.filter((item) => item.ResultCode !== 0).map(
          (i) => i.To_Account,
        );
        expect(reply.Fail_Account).toEqual(failures?.length ? failures : undefined);
        expect(reply).toMatchObject({ ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '' });
      }),
    );
  });

  it('reports an account Tencent left out as a failure instead of dropping it', () => {
    const items = new Map([['alice', itemFor('alice', 0)]]);

    const reply = replyFor(['alice', 'ghost'], items);

    expect(reply.UserProfileItem?.[1]).toEqual({
      To_Account: 'ghost',
      ResultCode: NO_ENTRY_CODE,
      ResultInfo: 'Tencent returned no entry for this account',
    });
    expect(reply.Fail_Account).toEqual(['ghost']);
  });
});
