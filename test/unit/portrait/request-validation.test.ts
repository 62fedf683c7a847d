import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../shared/errors.ts';
import { validatePortraitRequest } from '../../../shared/portrait/request-validation.ts';
import { STANDARD_TAGS } from '../../../shared/tencent/profile-tags.ts';

const NICK = ['Tag_Profile_IM_Nick'];
const ids = (count: number): string[] => Array.from({ length: count }, (_, i) => `user${i}`);

const rejectionOf = (accounts: unknown, tags: unknown, maxAccounts?: number): InvalidRequestError => {
  try {
    validatePortraitRequest(accounts, tags, maxAccounts);
  } catch (error) {
    if (error instanceof InvalidRequestError) return error;
    throw error;
  }
  throw new Error('the request was accepted');
};

describe('validatePortraitRequest rejects', () => {
  describe.each([
    { case: 'a missing To_Account', accounts: undefined, code: 40002, field: 'To_Account', says: /required/ },
    { case: 'a null To_Account', accounts: null, code: 40002, field: 'To_Account', says: /required/ },
    { case: 'an empty To_Account', accounts: [], code: 40002, field: 'To_Account', says: /empty/ },
    {
      case: 'To_Account as one string',
      accounts: 'alice',
      code: 40001,
      field: 'To_Account',
      says: /list of UserIDs, got a string/,
    },
    {
      case: 'To_Account as an object',
      accounts: { 0: 'alice' },
      code: 40001,
      field: 'To_Account',
      says: /got an object/,
    },
    {
      case: '101 accounts',
      accounts: ids(101),
      code: 40001,
      field: 'To_Account',
      says: /holds 101 .* at most 100/,
    },
    {
      case: 'a number among the accounts',
      accounts: ['alice', 42],
      code: 40001,
      field: 'To_Account[1]',
      says: /got a number/,
    },
    {
      case: 'a null account',
      accounts: ['alice', null],
      code: 40001,
      field: 'To_Account[1]',
      says: /got null/,
    },
    {
      case: 'a hole in the list',
      accounts: Object.assign(new Array<string>(2), { 1: 'alice' }),
      code: 40001,
      field: 'To_Account[0]',
      says: /got nothing/,
    },
    { case: 'an empty account', accounts: ['alice', ''], code: 40001, field: 'To_Account[1]', says: /empty/ },
    {
      case: 'a non-ASCII account',
      accounts: ['a', 'b', 'c', 'josé'],
      code: 40001,
      field: 'To_Account[3]',
      says: /printable ASCII at position 3/,
    },
    {
      case: 'a control character',
      accounts: ['tab\there'],
      code: 40001,
      field: 'To_Account[0]',
      says: /printable ASCII at position 3/,
    },
    {
      case: 'DEL (0x7f), the one ASCII control character above the printable range',
      accounts: ['alice', 'del\x7f'],
      code: 40001,
      field: 'To_Account[1]',
      says: /"del\x7f" has a character outside printable ASCII at position 3: UserIDs use only characters 0x20 to 0x7E$/,
    },
    {
      case: 'a list among the accounts',
      accounts: ['alice', ['bob']],
      code: 40001,
      field: 'To_Account[1]',
      says: /got a list/,
    },
    {
      case: 'a 33-byte account',
      accounts: ['x'.repeat(33)],
      code: 40001,
      field: 'To_Account[0]',
      says: /33 bytes; .* at most 32/,
    },
  ])('$case', ({ accounts, code, field, says }) => {
    it(`with ${code} naming ${field}`, () => {
      // Act
      const error = rejectionOf(accounts, NICK);

      // Assess
      expect(error).toMatchObject({ code, field, disposition: 'fatal-request', retryable: false });
      expect(error.message).toContain(field);
      expect(error.message).toMatch(says);
    });
  });

  describe.each([
    { case: 'a missing TagList', tags: undefined, field: 'TagList', says: /required/ },
    { case: 'a null TagList', tags: null, field: 'TagList', says: /required/ },
    { case: 'TagList as one string', tags: 'Tag_Profile_IM_Nick', field: 'TagList', says: /got a string/ },
    { case: 'an empty TagList', tags: [], field: 'TagList', says: /at least one/ },
    { case: 'a number among the tags', tags: [7], field: 'TagList[0]', says: /got a number/ },
    {
      case: 'an unknown standard tag',
      tags: ['Tag_Profile_IM_Nick', 'Tag_Profile_IM_Age'],
      field: 'TagList[1]',
      says: /not a standard tag; the standard tags are Tag_Profile_IM_Nick, Tag_Profile_IM_Gender, /,
    },
    {
      case: 'a tag in the wrong case',
      tags: ['tag_profile_im_nick'],
      field: 'TagList[0]',
      says: /not a profile tag: use Tag_Profile_IM_<Name>/,
    },
    {
      case: 'a custom tag without keyword',
      tags: ['Tag_Profile_Custom_'],
      field: 'TagList[0]',
      says: /1 to 16 letters, digits or _/,
    },
    {
      case: 'a 17-character custom keyword',
      tags: [`Tag_Profile_Custom_${'k'.repeat(17)}`],
      field: 'TagList[0]',
      says: /1 to 16/,
    },
    {
      case: 'a custom keyword with a dash',
      tags: ['Tag_Profile_Custom_a-b'],
      field: 'TagList[0]',
      says: /1 to 16/,
    },
    {
      case: 'a relation-chain tag',
      tags: ['Tag_SNS_IM_Remark'],
      field: 'TagList[0]',
      says: /not a profile tag/,
    },
  ])('$case', ({ tags, field, says }) => {
    it(`with 40001 naming ${field}`, () => {
      // Act
      const error = rejectionOf(['alice'], tags);

      // Assess
      expect(error).toMatchObject({ code: 40001, field });
      expect(error.message).toMatch(says);
    });
  });

  it('reports a missing To_Account before a bad TagList, as Tencent does', () => {
    // Act
    const error = rejectionOf(undefined, 'nonsense');

    // Assess
    expect(error).toMatchObject({ code: 40002, field: 'To_Account' });
  });

  it('cuts a long value short in the message', () => {
    // Act
    const error = rejectionOf(['x'.repeat(5000)], NICK);

    // Assess
    expect(error.message.length).toBeLessThan(200);
  });

  it.each([
    { length: 48, echoed: `"${'x'.repeat(48)}" ` },
    { length: 49, echoed: `"${'x'.repeat(48)}"… ` },
  ])('echoes a $length-character value as $echoed', ({ length, echoed }) => {
    // Act
    const error = rejectionOf(['x'.repeat(length)], NICK);

    // Assess
    expect(error.message).toBe(`To_Account[0] ${echoed}is ${length} bytes; a UserID has at most 32`);
  });

  it('honours a larger maximum given by the caller', () => {
    // Act
    const accepted = validatePortraitRequest(ids(1000), NICK, 1000);
    const refused = rejectionOf(ids(1001), NICK, 1000);

    // Assess
    expect(accepted.To_Account).toHaveLength(1000);
    expect(refused.message).toMatch(/at most 1000/);
  });
});

describe('validatePortraitRequest accepts', () => {
  const userIds = fc.string({ minLength: 1, maxLength: 32 });
  const tags = fc.oneof(
    fc.constantFrom(...Object.keys(STANDARD_TAGS)),
    fc.stringMatching(/^[A-Za-z0-9_]{1,16}$/).map((keyword) => `Tag_Profile_Custom_${keyword}`),
  );

  it('any 1 to 100 printable-ASCII UserIDs with standard and custom tags, unchanged', () => {
    fc.assert(
      fc.property(
        fc.array(userIds, { minLength: 1, maxLength: 100 }),
        fc.array(tags, { minLength: 1, maxLength: 20 }),
        (accounts, tagList) => {
          // Act
          const request = validatePortraitRequest(accounts, tagList);

          // Assess
          expect(request).toEqual({ To_Account: accounts, TagList: tagList });
        },
      ),
    );
  });

  it('exactly 100 accounts of exactly 32 bytes', () => {
    // Prepare
    const accounts = Array.from({ length: 100 }, (_, i) => String(i).padStart(32, '~'));

    // Act
    const request = validatePortraitRequest(accounts, NICK);

    // Assess
    expect(request.To_Account).toEqual(accounts);
  });
});
