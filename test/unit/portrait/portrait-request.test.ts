import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../shared/errors.ts';
import { MAX_TAGS_PER_REQUEST, parsePortraitRequest } from '../../../shared/portrait/portrait-request.ts';

const limits = { maxAccounts: 1000 };

function rejectionOf(body: unknown, requestLimits = limits): InvalidRequestError {
  try {
    parsePortraitRequest(body, requestLimits);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return error as InvalidRequestError;
  }
  throw new Error('the body was accepted');
}

describe('parsePortraitRequest', () => {
  it('accepts Tencent request bodies, ignoring fields Tencent would ignore', () => {
    const body = {
      To_Account: ['id1', 'id2'],
      TagList: ['Tag_Profile_IM_Nick', 'Tag_Profile_Custom_Test'],
      Extra: 1,
    };

    const request = parsePortraitRequest(body, limits);

    expect(request).toEqual({
      To_Account: ['id1', 'id2'],
      TagList: ['Tag_Profile_IM_Nick', 'Tag_Profile_Custom_Test'],
    });
  });

  it('accepts more than Tencent’s 100 accounts, up to the configured maximum', () => {
    const accounts = Array.from({ length: 1000 }, (_, i) => `user${i}`);

    const request = parsePortraitRequest({ To_Account: accounts, TagList: ['Tag_Profile_IM_Nick'] }, limits);

    expect(request.To_Account).toHaveLength(1000);
  });

  describe.each([
    ['null', null, 40001, 'body'],
    ['a list', [], 40001, 'body'],
    ['a string', 'To_Account', 40001, 'body'],
    ['no To_Account', { TagList: ['Tag_Profile_IM_Nick'] }, 40002, 'To_Account'],
    ['an empty To_Account', { To_Account: [], TagList: ['Tag_Profile_IM_Nick'] }, 40002, 'To_Account'],
    ['a numeric account', { To_Account: [7], TagList: ['Tag_Profile_IM_Nick'] }, 40001, 'To_Account[0]'],
    ['no TagList', { To_Account: ['a'] }, 40001, 'TagList'],
    ['an unknown standard tag', { To_Account: ['a'], TagList: ['Tag_Profile_IM_Nik'] }, 40001, 'TagList[0]'],
    [
      'too many tags',
      { To_Account: ['a'], TagList: Array(MAX_TAGS_PER_REQUEST + 1).fill('Tag_Profile_IM_Nick') },
      40001,
      'TagList',
    ],
  ])('a body with %s', (_case, body, code, field) => {
    it(`is refused with ${code} naming ${field}`, () => {
      const error = rejectionOf(body);

      expect(error.code).toBe(code);
      expect(error.field).toBe(field);
      expect(error.message).toContain(field);
    });
  });

  it('accepts exactly 64 tags and refuses 65 with 40001 naming TagList', () => {
    const withTags = (count: number) => ({
      To_Account: ['a'],
      TagList: Array(count).fill('Tag_Profile_IM_Nick'),
    });

    const accepted = parsePortraitRequest(withTags(64), limits);
    const refused = rejectionOf(withTags(65));

    expect(accepted.TagList).toHaveLength(64);
    expect(refused).toMatchObject({ code: 40001, field: 'TagList' });
    expect(refused.message).toContain('at most 64');
  });

  it('refuses more accounts than the configured maximum, naming To_Account', () => {
    const error = rejectionOf(
      { To_Account: ['a', 'b', 'c'], TagList: ['Tag_Profile_IM_Nick'] },
      { maxAccounts: 2 },
    );

    expect(error.field).toBe('To_Account');
    expect(error.message).toContain('at most 2');
  });

  it('either accepts an arbitrary JSON value or refuses it with 40001/40002 naming a field', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        try {
          parsePortraitRequest(body, limits);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidRequestError);
          expect([40001, 40002]).toContain((error as InvalidRequestError).code);
          expect((error as InvalidRequestError).field).toMatch(/^(body|To_Account|TagList)/);
        }
      }),
    );
  });
});
