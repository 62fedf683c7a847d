import { describe, expect, it } from 'vitest';
import { TencentApiError, TencentProtocolError } from '../../../shared/errors.ts';
import { parsePortraitReply } from '../../../shared/upstream/portrait-reply.ts';
import { docNick, foundItem, okReply } from '../../support/tencent-doc-examples.ts';

const NICK = 'Tag_Profile_IM_Nick';
const BIRTHDAY = 'Tag_Profile_IM_BirthDay';

/** Tencent's reply as text: an OK envelope with one answered account, `fields` laid over it. */
const replyText = (fields: Record<string, unknown> = {}): string =>
  JSON.stringify({
    ...okReply([foundItem('id1', [docNick(1), { Tag: BIRTHDAY, Value: 20190419 }])]),
    ...fields,
  });

/** The reply with its one item's fields replaced by `fields`. */
const itemText = (fields: Record<string, unknown>): string =>
  replyText({ UserProfileItem: [{ To_Account: 'id1', ResultCode: 0, ResultInfo: '', ...fields }] });

function failureOf(body: string): unknown {
  try {
    parsePortraitReply(body);
  } catch (error) {
    return error;
  }
  throw new Error('the reply was accepted');
}

describe('parsePortraitReply reads', () => {
  it("Tencent's documented reply as it is, numbers staying numbers", () => {
    // Act
    const reply = parsePortraitReply(replyText());

    // Assess
    expect(reply).toEqual(JSON.parse(replyText()));
  });

  it("each account's own ResultInfo", () => {
    // Act
    const reply = parsePortraitReply(
      itemText({
        To_Account: 'ghost',
        ResultCode: 40003,
        ResultInfo: 'Err_Profile_PortraitGet_Account_Not_Exist',
      }),
    );

    // Assess
    expect(reply.UserProfileItem).toEqual([
      { To_Account: 'ghost', ResultCode: 40003, ResultInfo: 'Err_Profile_PortraitGet_Account_Not_Exist' },
    ]);
  });

  it('Fail_Account, and leaves it out when Tencent did', () => {
    // Act
    const withFailed = parsePortraitReply(replyText({ Fail_Account: ['ghost'] }));
    const without = parsePortraitReply(replyText());

    // Assess
    expect(withFailed.Fail_Account).toEqual(['ghost']);
    expect(without).not.toHaveProperty('Fail_Account');
  });

  it('missing ErrorInfo and ResultInfo as empty, a missing ErrorDisplay and ProfileItem as absent', () => {
    // Act
    const reply = parsePortraitReply(
      JSON.stringify({
        ActionStatus: 'OK',
        ErrorCode: 0,
        UserProfileItem: [{ To_Account: 'id9', ResultCode: 40003 }],
      }),
    );

    // Assess
    expect(reply).toStrictEqual({
      ActionStatus: 'OK',
      ErrorCode: 0,
      ErrorInfo: '',
      UserProfileItem: [{ To_Account: 'id9', ResultCode: 40003, ResultInfo: '' }],
    });
  });
});

describe('parsePortraitReply turns a non-zero ErrorCode into the code table’s error', () => {
  describe.each([
    { status: 'OK', code: 70001, disposition: 'resign' },
    { status: 'FAIL', code: 70001, disposition: 'resign' },
    { status: 'OK', code: 60007, disposition: 'rate-limited' },
    { status: 'FAIL', code: 40006, disposition: 'retry' },
    { status: 'FAIL', code: 70005, disposition: 'reload-credentials' },
  ])('ActionStatus $status with ErrorCode $code', ({ status, code, disposition }) => {
    it(`is a TencentApiError handled as ${disposition}`, () => {
      // Act
      const error = failureOf(
        replyText({ ActionStatus: status, ErrorCode: code, ErrorInfo: 'from Tencent' }),
      );

      // Assess
      expect(error).toBeInstanceOf(TencentApiError);
      expect(error).toMatchObject({ code, disposition, errorInfo: 'from Tencent' });
    });
  });

  it('keeps an ErrorInfo that is no string out of the error', () => {
    // Act
    const error = failureOf(replyText({ ActionStatus: 'FAIL', ErrorCode: 70001, ErrorInfo: 42 }));

    // Assess
    expect(error).toMatchObject({ code: 70001, errorInfo: '' });
  });
});

describe('parsePortraitReply refuses as malformed (70500, retried)', () => {
  describe.each([
    {
      case: 'a body that is not JSON',
      body: '{"ActionStatus":',
      says: 'the body is not JSON (16 characters)',
    },
    { case: 'a JSON list', body: '[]', says: 'the body is not a JSON object' },
    {
      case: 'an unknown ActionStatus',
      body: replyText({ ActionStatus: 'ok' }),
      says: 'ActionStatus is neither OK nor FAIL',
    },
    { case: 'no ErrorCode', body: replyText({ ErrorCode: undefined }), says: 'ErrorCode is not an integer' },
    {
      case: 'a fractional ErrorCode',
      body: replyText({ ErrorCode: 0.5 }),
      says: 'ErrorCode is not an integer',
    },
    {
      case: 'FAIL with ErrorCode 0',
      body: replyText({ ActionStatus: 'FAIL' }),
      says: 'ActionStatus is FAIL with ErrorCode 0',
    },
    {
      case: 'a UserProfileItem that is no list',
      body: replyText({ UserProfileItem: {} }),
      says: 'UserProfileItem is not a list',
    },
    {
      case: 'an item that is no object',
      body: replyText({ UserProfileItem: ['id1'] }),
      says: 'UserProfileItem[0] is not an object',
    },
    {
      case: 'an item without To_Account',
      body: itemText({ To_Account: 7 }),
      says: 'UserProfileItem[0].To_Account is not a string',
    },
    {
      case: 'an item without ResultCode',
      body: itemText({ ResultCode: undefined }),
      says: 'UserProfileItem[0].ResultCode is not an integer',
    },
    {
      case: 'a fractional ResultCode',
      body: itemText({ ResultCode: 1.5 }),
      says: 'UserProfileItem[0].ResultCode is not an integer',
    },
    {
      case: 'a ProfileItem that is no list',
      body: itemText({ ProfileItem: { Tag: NICK, Value: 'x' } }),
      says: 'UserProfileItem[0].ProfileItem is not a list',
    },
    {
      case: 'a profile entry that is no object',
      body: itemText({ ProfileItem: [NICK] }),
      says: 'UserProfileItem[0].ProfileItem[0] has no Tag',
    },
    {
      case: 'a profile entry without Tag',
      body: itemText({ ProfileItem: [{ Tag: NICK, Value: 'x' }, { Value: 'y' }] }),
      says: 'UserProfileItem[0].ProfileItem[1] has no Tag',
    },
    {
      case: 'a profile value that is neither string nor number',
      body: itemText({ ProfileItem: [{ Tag: NICK, Value: true }] }),
      says: 'UserProfileItem[0].ProfileItem[0].Value is neither a string nor a number',
    },
    {
      case: 'a Fail_Account that is no list',
      body: replyText({ Fail_Account: 'ghost' }),
      says: 'Fail_Account is not a list of UserIDs',
    },
    {
      case: 'a Fail_Account holding a number',
      body: replyText({ Fail_Account: ['ghost', 7] }),
      says: 'Fail_Account is not a list of UserIDs',
    },
  ])('$case', ({ body, says }) => {
    it('naming what is wrong, never quoting the body', () => {
      // Act
      const error = failureOf(body);

      // Assess
      expect(error).toBeInstanceOf(TencentProtocolError);
      expect(error).toMatchObject({ code: 70500, disposition: 'retry' });
      expect((error as Error).message).toBe(`Tencent's portrait_get reply is malformed: ${says}`);
    });
  });
});
