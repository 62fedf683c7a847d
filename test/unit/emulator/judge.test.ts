import { describe, expect, it } from 'vitest';
import type { Faults } from '../../../infra/local/emulator/faults.ts';
import { NOT_JSON } from '../../../infra/local/emulator/json-values.ts';
import {
  type Arrival,
  answerPortraitGet,
  BODY_TOO_LARGE,
  judgeArrival,
  userSigCode,
} from '../../../infra/local/emulator/judge.ts';
import { ProfileBook } from '../../../infra/local/emulator/profile-book.ts';
import { UserSigVerdicts } from '../../../infra/local/emulator/usersig-verdicts.ts';
import { PORTRAIT_GET_PATH } from '../../../shared/tencent/rest-query.ts';
import { signUserSig, type UserSigRejection } from '../../../shared/tencent/usersig.ts';
import { testCredentials } from '../../support/tencent-credentials.ts';

const ADMIN = testCredentials();
/** When the test UserSigs are signed (Unix seconds); they live one day. */
const SIGNED_AT = 1_700_000_000;
const LIFETIME = 86_400;
/** An arrival while the test UserSigs are valid. */
const AT_MS = (SIGNED_AT + 60) * 1000;
const NICK = 'Tag_Profile_IM_Nick';
const LEVEL = 'Tag_Profile_IM_Level';
const TEAM = 'Tag_Profile_Custom_Team';

type Param = 'sdkappid' | 'identifier' | 'usersig' | 'random' | 'contenttype';

const userSig = (identity: Partial<typeof ADMIN> = {}): string =>
  signUserSig({ ...ADMIN, ...identity }, { nowSeconds: SIGNED_AT, lifetimeSeconds: LIFETIME });

interface CallShape {
  method?: string;
  path?: string;
  /** Replaces a URL parameter; `null` leaves it out. */
  query?: Partial<Record<Param, string | null>>;
  faults?: Faults;
  at?: number;
}

/** A call that passes every check unless overridden. */
function arriving({ method = 'POST', path = PORTRAIT_GET_PATH, query = {}, faults, at = AT_MS }: CallShape) {
  const params: Record<Param, string | null> = {
    sdkappid: String(ADMIN.sdkAppId),
    identifier: ADMIN.identifier,
    usersig: userSig(),
    random: '12345',
    contenttype: 'json',
    ...query,
  };
  const url = new URL(path, 'http://emulator');
  for (const [name, value] of Object.entries(params)) if (value !== null) url.searchParams.set(name, value);
  return { method, url, at, faults };
}

/** The part of an arrival a client notices: the code or fault, and the HTTP status. */
function noticed(arrival: Arrival): { outcome: number | string; httpStatus?: number; info?: string } {
  if (arrival.kind === 'fault')
    return arrival.fault === 'http-status'
      ? { outcome: arrival.fault, httpStatus: arrival.httpStatus }
      : { outcome: arrival.fault };
  if (arrival.kind === 'refused')
    return {
      outcome: arrival.envelope.ErrorCode,
      httpStatus: arrival.httpStatus,
      info: arrival.envelope.ErrorInfo,
    };
  return { outcome: 0, httpStatus: 200 };
}

const ALL_REPLACING: Faults = {
  reset: true,
  hang: true,
  httpStatus: 502,
  malformedJson: true,
  forceCode: 70001,
};
const EXPIRED_AT = (SIGNED_AT + LIFETIME + 1) * 1000;

/** What a row expects; `ceilingFull` is the ceiling's answer if asked, `asked` whether it must be. */
interface Expected {
  outcome: number | string;
  httpStatus?: number;
  info?: string;
  ceilingFull?: boolean;
  asked?: boolean;
}

describe('judgeArrival: checks in order, the first failing one answers', () => {
  describe.each<[string, CallShape, Expected]>([
    ['reset wins over every fault and check', { method: 'GET', faults: ALL_REPLACING }, { outcome: 'reset' }],
    ['hang wins over httpStatus', { faults: { ...ALL_REPLACING, reset: false } }, { outcome: 'hang' }],
    [
      'httpStatus wins over malformedJson',
      { faults: { httpStatus: 502, malformedJson: true, forceCode: 70001 } },
      { outcome: 'http-status', httpStatus: 502 },
    ],
    [
      'malformedJson wins over forceCode',
      { faults: { malformedJson: true, forceCode: 1 } },
      { outcome: 'malformed' },
    ],
    [
      'forceCode wins over a GET',
      { method: 'GET', faults: { forceCode: 70001 } },
      { outcome: 70001, httpStatus: 200 },
    ],
    ['forceCode, the ceiling full', { faults: { forceCode: 60007 } }, { outcome: 60007, ceilingFull: true }],
    [
      'GET of an unknown command',
      { method: 'GET', path: '/v4/a/b' },
      { outcome: 60002, httpStatus: 405, info: 'POST' },
    ],
    [
      'an unknown command without URL parameters',
      { path: '/v4/profile/portrait_set', query: { sdkappid: null } },
      { outcome: 60002, httpStatus: 200, info: 'invalid command /v4/profile/portrait_set' },
    ],
    [
      'sdkappid missing, identifier wrong',
      { query: { sdkappid: null, identifier: 'alice' } },
      { outcome: 60002, info: 'sdkappid is missing' },
    ],
    [
      'identifier missing',
      { query: { identifier: null } },
      { outcome: 60002, info: 'identifier is missing' },
    ],
    ['random missing', { query: { random: null } }, { outcome: 60002, info: 'random is missing' }],
    [
      'contenttype missing',
      { query: { contenttype: null } },
      { outcome: 60002, info: 'contenttype is missing' },
    ],
    ['sdkappid not a number', { query: { sdkappid: '14001x' } }, { outcome: 60002, info: 'sdkappid is not' }],
    ['random past uint32', { query: { random: '4294967296' } }, { outcome: 60002, info: 'random is not' }],
    ['random negative', { query: { random: '-1' } }, { outcome: 60002, info: 'random is not' }],
    ['contenttype not json', { query: { contenttype: 'xml' } }, { outcome: 60002, info: 'contenttype must' }],
    [
      'another app, identifier wrong',
      { query: { sdkappid: '1400999999', identifier: 'alice' } },
      { outcome: 60006 },
    ],
    [
      'identifier not the admin, no usersig',
      { query: { identifier: 'alice', usersig: null } },
      { outcome: 60004 },
    ],
    ['usersig missing', { query: { usersig: null } }, { outcome: 70002 }],
    ['usersig empty', { query: { usersig: '' } }, { outcome: 70002 }],
    ['usersig not a UserSig', { query: { usersig: 'eJyrVkrNKUmuTE1R' } }, { outcome: 70003 }],
    [
      'usersig for another identifier',
      { query: { usersig: userSig({ identifier: 'alice' }) } },
      { outcome: 70013 },
    ],
    [
      'usersig for another app',
      { query: { usersig: userSig({ sdkAppId: 1_400_999_999 }) } },
      { outcome: 70014 },
    ],
    [
      'usersig of another key',
      { query: { usersig: userSig({ secretKey: 'not-the-key' }) } },
      { outcome: 70005 },
    ],
    ['usersig expired, the ceiling full', { at: EXPIRED_AT }, { outcome: 70001, ceilingFull: true }],
    [
      'random at the uint32 maximum, the ceiling full',
      { query: { random: '4294967295' } },
      { outcome: 60007, httpStatus: 200, ceilingFull: true, asked: true },
    ],
    ['a good call, the ceiling open', {}, { outcome: 0, httpStatus: 200, asked: true }],
  ])('%s', (_case, call, { outcome, httpStatus, info, ceilingFull = false, asked = false }) => {
    it(`→ ${outcome}${httpStatus === undefined ? '' : ` (HTTP ${httpStatus})`}, the ceiling ${asked ? '' : 'not '}asked`, () => {
      // Prepare
      let askedTimes = 0;
      const admit = () => {
        askedTimes++;
        return !ceilingFull;
      };

      // Act
      const seen = noticed(judgeArrival(arriving(call), new UserSigVerdicts(ADMIN), admit));

      // Assess
      expect(seen.outcome).toBe(outcome);
      if (httpStatus !== undefined) expect(seen.httpStatus).toBe(httpStatus);
      if (info !== undefined) expect(seen.info).toContain(info);
      expect(askedTimes).toBe(asked ? 1 : 0);
    });
  });

  it('admits a call with the per-account codes of its faults', () => {
    // Prepare
    const call = arriving({ faults: { failAccounts: { bob: 40006 }, latencyMs: 10 } });

    // Act
    const arrival = judgeArrival(call, new UserSigVerdicts(ADMIN), () => true);

    // Assess
    expect(arrival).toEqual({ kind: 'admitted', failAccounts: { bob: 40006 } });
  });

  it('admits a call with the unknownFailsCall fault carried to its answer', () => {
    const arrival = judgeArrival(
      arriving({ faults: { unknownFailsCall: true } }),
      new UserSigVerdicts(ADMIN),
      () => true,
    );

    expect(arrival).toEqual({ kind: 'admitted', failAccounts: {}, unknownFailsCall: true });
  });
});

describe('userSigCode', () => {
  const fields = {
    version: '2.0',
    identifier: 'administrator',
    sdkAppId: 1,
    time: 1000,
    expire: 60,
    sig: '',
  };

  it.each<[UserSigRejection, number]>([
    ['malformed', 70003],
    ['wrong-version', 70003],
    ['wrong-identifier', 70013],
    ['wrong-sdkappid', 70014],
    ['bad-signature', 70005],
    ['expired', 70001],
  ])('answers a %s UserSig with %i', (reason, code) => {
    expect(userSigCode({ ok: false, reason }, 0)).toBe(code);
  });

  it.each([
    [1000, 0],
    [1060, 0],
    [1061, 70001],
  ])('at second %i a UserSig made at 1000 for 60 s answers %i', (nowSeconds, code) => {
    expect(userSigCode({ ok: true, fields }, nowSeconds)).toBe(code);
  });
});

describe('answerPortraitGet', () => {
  const profiles = () =>
    new ProfileBook({
      alice: [
        { Tag: NICK, Value: 'Alice' },
        { Tag: LEVEL, Value: 7 },
        { Tag: TEAM, Value: 'platform' },
      ],
      bob: [{ Tag: NICK, Value: 'Bob' }],
    });
  const answer = (request: unknown, failAccounts: Record<string, number> = {}) =>
    answerPortraitGet(request, failAccounts, profiles());

  it('fails a whole call holding an unknown account with 40003 under unknownFailsCall, and no other', () => {
    const withGhost = answerPortraitGet(
      { To_Account: ['alice', 'ghost'], TagList: [NICK] },
      {},
      profiles(),
      true,
    );
    const known = answerPortraitGet({ To_Account: ['alice', 'bob'], TagList: [NICK] }, {}, profiles(), true);

    expect(withGhost).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 40003 });
    expect(known).toMatchObject({ ActionStatus: 'OK', ErrorCode: 0 });
  });

  describe.each<{ case: string; request: unknown; code: number; info?: string }>([
    { case: 'a body over the limit', request: BODY_TOO_LARGE, code: 60002, info: 'exceeds' },
    { case: 'a body that is not JSON', request: NOT_JSON, code: 60003 },
    { case: 'a JSON array', request: [{ To_Account: ['alice'], TagList: [NICK] }], code: 60003 },
    {
      case: 'To_Account missing, even with an unknown tag',
      request: { TagList: ['Tag_Profile_Custom_Nope'] },
      code: 40002,
    },
    { case: 'To_Account null', request: { To_Account: null, TagList: [NICK] }, code: 40002 },
    { case: 'To_Account empty, even without TagList', request: { To_Account: [] }, code: 40002 },
    { case: 'To_Account a string', request: { To_Account: 'alice', TagList: [NICK] }, code: 40001 },
    {
      case: 'To_Account of 101',
      request: { To_Account: Array.from({ length: 101 }, (_, i) => `u${i}`), TagList: [NICK] },
      code: 40001,
      info: 'exceeds 100',
    },
    {
      case: 'an empty account',
      request: { To_Account: ['alice', ''], TagList: [NICK] },
      code: 40001,
      info: 'To_Account[1]',
    },
    {
      case: 'a numeric account',
      request: { To_Account: [7], TagList: [NICK] },
      code: 40001,
      info: 'To_Account[0]',
    },
    { case: 'TagList missing', request: { To_Account: ['alice'] }, code: 40001, info: 'TagList' },
    { case: 'TagList empty', request: { To_Account: ['alice'], TagList: [] }, code: 40001, info: 'TagList' },
    {
      case: 'a numeric tag, before an unknown one',
      request: { To_Account: ['alice'], TagList: ['Tag_Profile_Custom_Nope', 1] },
      code: 40001,
      info: 'TagList[1]',
    },
    {
      case: 'a custom tag the app lacks',
      request: { To_Account: ['alice'], TagList: [NICK, 'Tag_Profile_Custom_Nope'] },
      code: 40009,
      info: 'Tag_Profile_Custom_Nope',
    },
  ])('$case', ({ request, code, info }) => {
    it(`fails the whole call with ${code}`, () => {
      // Act
      const reply = answer(request);

      // Assess
      expect(reply).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: code });
      expect(reply.UserProfileItem).toBeUndefined();
      if (info !== undefined) expect(reply.ErrorInfo).toContain(info);
    });
  });

  it('answers in request order, unknown accounts with 40003 in Fail_Account, unset tags left out', () => {
    // Act
    const reply = answer({ To_Account: ['bob', 'nobody', 'alice'], TagList: [LEVEL, NICK, LEVEL, TEAM] });

    // Assess
    expect(reply).toEqual({
      UserProfileItem: [
        { To_Account: 'bob', ProfileItem: [{ Tag: NICK, Value: 'Bob' }], ResultCode: 0, ResultInfo: '' },
        { To_Account: 'nobody', ResultCode: 40003, ResultInfo: 'Err_Profile_PortraitGet_Account_Not_Exist' },
        {
          To_Account: 'alice',
          ProfileItem: [
            { Tag: LEVEL, Value: 7 },
            { Tag: NICK, Value: 'Alice' },
            { Tag: TEAM, Value: 'platform' },
          ],
          ResultCode: 0,
          ResultInfo: '',
        },
      ],
      Fail_Account: ['nobody'],
      ActionStatus: 'OK',
      ErrorCode: 0,
      ErrorInfo: '',
      ErrorDisplay: '',
    });
  });

  it('leaves Fail_Account out when every account was found', () => {
    // Act
    const reply = answer({ To_Account: ['alice'], TagList: [NICK] });

    // Assess
    expect(reply).not.toHaveProperty('Fail_Account');
    expect(reply.ErrorCode).toBe(0);
  });

  it('forces the per-account codes of a failAccounts fault, known accounts included', () => {
    // Act
    const reply = answer({ To_Account: ['alice', 'bob'], TagList: [NICK] }, { alice: 40006, bob: 40099 });

    // Assess
    expect(reply.UserProfileItem).toEqual([
      { To_Account: 'alice', ResultCode: 40006, ResultInfo: 'Err_Profile_PortraitGet_Read_Custom_Data_Fail' },
      { To_Account: 'bob', ResultCode: 40099, ResultInfo: 'Err_Profile_PortraitGet_Fail' },
    ]);
    expect(reply.Fail_Account).toEqual(['alice', 'bob']);
  });
});
