import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO_CREDENTIALS, DEMO_PROFILES, demoAccountName } from '../../infra/local/demo-profiles.ts';
import {
  type EmulatorCall,
  EmulatorConfigError,
  type Faults,
  PORTRAIT_GET_PATH,
  type TencentEmulator,
} from '../../infra/local/emulator.ts';
import type { UserProfileItem } from '../../shared/tencent/portrait-types.ts';
import { STANDARD_TAGS } from '../../shared/tencent/profile-tags.ts';
import { signUserSig } from '../../shared/tencent/usersig.ts';
import {
  portraitGet,
  postJson,
  type QueryParameter,
  signedUrl,
  startTestEmulator,
  TEST_CREDENTIALS,
  testUserSig,
} from '../support/emulator-factory.ts';
import { rejectionOf } from '../support/rejection-of.ts';

const NICK = 'Tag_Profile_IM_Nick';
const NICK_OF_ALICE = {
  To_Account: 'alice',
  ProfileItem: [{ Tag: NICK, Value: 'Alice' }],
  ResultCode: 0,
  ResultInfo: '',
};
const OK_ENVELOPE = { ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '', ErrorDisplay: '' };
const nickOf = (accounts: string[]) => ({ To_Account: accounts, TagList: [NICK] });
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Outcomes of the recorded calls, the part of a record a test can predict. */
const outcomes = (emulator: TencentEmulator) => emulator.calls.map((call) => call.outcome);

describe('the Tencent IM emulator', () => {
  let emulator: TencentEmulator;

  beforeAll(async () => {
    // The shared emulator's ceiling is far out of reach; the ceiling has its own emulators below.
    emulator = await startTestEmulator({ ratePerSecond: 100_000 });
  });
  afterEach(() => {
    emulator.clearFaults();
    emulator.setSecretKey(TEST_CREDENTIALS.secretKey);
    emulator.resetCalls();
  });
  afterAll(async () => {
    await emulator.close();
  });

  describe('URL checks, each with its own code', () => {
    const cases: [string, () => Partial<Record<QueryParameter, string | null>>, number][] = [
      ['sdkappid missing', () => ({ sdkappid: null }), 60002],
      ['sdkappid not a number', () => ({ sdkappid: '14001x' }), 60002],
      ['sdkappid of another app', () => ({ sdkappid: '1400999999' }), 60006],
      ['identifier missing', () => ({ identifier: null }), 60002],
      ['identifier not the app admin', () => ({ identifier: 'alice' }), 60004],
      ['usersig missing', () => ({ usersig: null }), 70002],
      ['usersig empty', () => ({ usersig: '' }), 70002],
      ['usersig not a UserSig', () => ({ usersig: 'eJyrVkrNKUmuTE1R' }), 70003],
      [
        'usersig signed with another key',
        () => ({ usersig: testUserSig({ secretKey: 'not-the-key' }) }),
        70005,
      ],
      [
        'usersig expired',
        () => ({ usersig: testUserSig({}, { nowSeconds: nowSeconds() - 120, lifetimeSeconds: 60 }) }),
        70001,
      ],
      [
        'usersig made for another identifier',
        () => ({ usersig: testUserSig({ identifier: 'alice' }) }),
        70013,
      ],
      [
        'usersig made for another SDKAppID',
        () => ({ usersig: testUserSig({ sdkAppId: 1400999999 }) }),
        70014,
      ],
      ['random missing', () => ({ random: null }), 60002],
      ['random above uint32', () => ({ random: '4294967296' }), 60002],
      ['random negative', () => ({ random: '-1' }), 60002],
      ['random not decimal', () => ({ random: '0x10' }), 60002],
      ['contenttype missing', () => ({ contenttype: null }), 60002],
      ['contenttype not json', () => ({ contenttype: 'xml' }), 60002],
    ];

    it.each(cases)('%s → %i, recorded with that outcome', async (_name, overrides, code) => {
      // Act
      const reply = await portraitGet(emulator, nickOf(['alice']), overrides());

      // Assess
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: code, ErrorDisplay: '' });
      expect(reply.body.UserProfileItem).toBeUndefined();
      expect(emulator.calls).toEqual([{ at: expect.any(Number), accounts: 1, outcome: code }]);
    });

    it.each([
      ['the largest random', { random: '4294967295' }],
      ['random zero', { random: '0' }],
      [
        'a UserSig about to expire',
        { usersig: testUserSig({}, { nowSeconds: nowSeconds() - 50, lifetimeSeconds: 60 }) },
      ],
    ])('accepts %s', async (_name, overrides) => {
      // Act
      const reply = await portraitGet(emulator, nickOf(['alice']), overrides);

      // Assess
      expect(reply.body).toMatchObject(OK_ENVELOPE);
    });

    it('never puts the UserSig or the secret key in a reply', async () => {
      // Prepare
      const wrongSig = testUserSig({ secretKey: 'not-the-key' });

      // Act
      const replies = await Promise.all([
        portraitGet(emulator, nickOf(['alice']), { usersig: wrongSig }),
        portraitGet(emulator, nickOf(['alice']), { identifier: 'alice', usersig: wrongSig }),
      ]);

      // Assess
      for (const reply of replies) {
        expect(JSON.stringify(reply.body)).not.toContain(wrongSig);
        expect(JSON.stringify(reply.body)).not.toContain(TEST_CREDENTIALS.secretKey);
      }
    });
  });

  describe('requests that are not portrait_get', () => {
    it.each([
      ['not JSON', '{"To_Account": ['],
      ['empty', ''],
      ['a JSON list', '["alice"]'],
    ])('a body that is %s → 60003', async (_name, body) => {
      // Act
      const reply = await portraitGet(emulator, body);

      // Assess
      expect(reply.body).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 60003 });
    });

    it('GET → HTTP 405 with 60002 and Allow: POST', async () => {
      // Act
      const response = await fetch(signedUrl(emulator.url));

      // Assess
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      expect(await response.json()).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 60002 });
    });

    it('another command under /v4 → HTTP 200 with 60002 naming it, recorded', async () => {
      // Act
      const reply = await postJson(signedUrl(emulator.url, {}, '/v4/profile/portrait_set'), {});

      // Assess
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 60002 });
      expect(reply.body.ErrorInfo).toContain('/v4/profile/portrait_set');
      expect(outcomes(emulator)).toEqual([60002]);
    });

    it('a path outside /v4 and the test hooks → 404, not recorded', async () => {
      // Act
      const response = await fetch(`${emulator.url}/v5/profile/portrait_get`, { method: 'POST', body: '{}' });

      // Assess
      expect(response.status).toBe(404);
      expect(emulator.calls).toEqual([]);
    });
  });

  describe("portrait_get, as in Tencent's documentation", () => {
    it('one tag of one user: the exact reply, without Fail_Account', async () => {
      // Act
      const reply = await portraitGet(emulator, nickOf(['alice']));

      // Assess
      expect(reply.status).toBe(200);
      expect(reply.body).toStrictEqual({ UserProfileItem: [NICK_OF_ALICE], ...OK_ENVELOPE });
    });

    it('many tags of one user: TagList order, uint32 tags as numbers, unset tags left out', async () => {
      // Prepare
      const tags = [
        'Tag_Profile_Custom_Team',
        'Tag_Profile_IM_Image',
        'Tag_Profile_IM_BirthDay',
        NICK,
        'Tag_Profile_IM_Level',
        'Tag_Profile_IM_Role',
      ];

      // Act
      const reply = await portraitGet(emulator, { To_Account: ['dave'], TagList: tags });

      // Assess
      expect(reply.body.UserProfileItem).toStrictEqual([
        {
          To_Account: 'dave',
          ProfileItem: [
            { Tag: 'Tag_Profile_Custom_Team', Value: 'support' },
            { Tag: 'Tag_Profile_IM_BirthDay', Value: 19791111 },
            { Tag: NICK, Value: 'Dave' },
            { Tag: 'Tag_Profile_IM_Level', Value: 3 },
          ],
          ResultCode: 0,
          ResultInfo: '',
        },
      ]);
    });

    it('one tag of many users, in request order', async () => {
      // Act
      const reply = await portraitGet(emulator, nickOf(['judy', 'alice', 'bob']));

      // Assess
      expect(reply.body.UserProfileItem?.map((item) => item.To_Account)).toEqual(['judy', 'alice', 'bob']);
      expect(reply.body.UserProfileItem?.map((item) => item.ProfileItem?.[0]?.Value)).toEqual([
        'Judy',
        'Alice',
        'Bob',
      ]);
    });

    it('unknown accounts: per-account 40003 and Fail_Account, the call itself OK', async () => {
      // Act
      const reply = await portraitGet(emulator, nickOf(['nobody', 'alice', 'ghost']));

      // Assess
      expect(reply.body).toStrictEqual({
        UserProfileItem: [
          { To_Account: 'nobody', ResultCode: 40003, ResultInfo: expect.stringMatching(/^Err_Profile_/) },
          NICK_OF_ALICE,
          { To_Account: 'ghost', ResultCode: 40003, ResultInfo: expect.stringMatching(/^Err_Profile_/) },
        ],
        Fail_Account: ['nobody', 'ghost'],
        ...OK_ENVELOPE,
      });
    });

    it('100 accounts are served; 101 are refused with 40001 naming To_Account', async () => {
      // Prepare
      const accounts = Array.from({ length: 101 }, (_, i) => demoAccountName(i + 1));

      // Act
      const hundred = await portraitGet(emulator, nickOf(accounts.slice(0, 100)));
      const tooMany = await portraitGet(emulator, nickOf(accounts));

      // Assess
      expect(hundred.body.UserProfileItem).toHaveLength(100);
      expect(hundred.body.Fail_Account).toBeUndefined();
      expect(tooMany.body).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 40001 });
      expect(tooMany.body.ErrorInfo).toContain('To_Account exceeds 100');
      expect(emulator.calls.map(({ accounts, outcome }) => ({ accounts, outcome }))).toEqual([
        { accounts: 100, outcome: 0 },
        { accounts: 101, outcome: 40001 },
      ]);
    });

    it.each([
      ['To_Account missing', { TagList: [NICK] }, 40002, 'To_Account'],
      ['To_Account empty', { To_Account: [], TagList: [NICK] }, 40002, 'To_Account'],
      ['To_Account not a list', { To_Account: 'alice', TagList: [NICK] }, 40001, 'To_Account'],
      ['To_Account holding a number', { To_Account: ['alice', 7], TagList: [NICK] }, 40001, 'To_Account[1]'],
      ['TagList missing', { To_Account: ['alice'] }, 40001, 'TagList'],
      ['TagList empty', { To_Account: ['alice'], TagList: [] }, 40001, 'TagList'],
      ['TagList not a list', { To_Account: ['alice'], TagList: NICK }, 40001, 'TagList'],
      ['TagList holding a number', { To_Account: ['alice'], TagList: [NICK, 1] }, 40001, 'TagList[1]'],
      [
        'a custom tag the app does not define',
        { To_Account: ['alice'], TagList: [NICK, 'Tag_Profile_Custom_Nope'] },
        40009,
        'Tag_Profile_Custom_Nope',
      ],
      [
        'a standard-looking tag that does not exist',
        { To_Account: ['alice'], TagList: ['Tag_Profile_IM_Shoe'] },
        40009,
        'Tag_Profile_IM_Shoe',
      ],
    ])('%s → %i, ErrorInfo naming %s, no per-account items', async (_name, body, code, named) => {
      // Act
      const reply = await portraitGet(emulator, body);

      // Assess
      expect(reply.body).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: code });
      expect(reply.body.ErrorInfo).toContain(named);
      expect(reply.body.UserProfileItem).toBeUndefined();
    });

    it('answers any mix of known and unknown accounts and tags the way Tencent documents', async () => {
      const known = ['alice', 'bob', 'carol', 'dave', demoAccountName(3), demoAccountName(10)];
      const tagNames = [...Object.keys(STANDARD_TAGS), 'Tag_Profile_Custom_Team'];
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof(fc.constantFrom(...known), fc.constantFrom('ghost', 'nobody', 'x')), {
            minLength: 1,
            maxLength: 12,
          }),
          fc.uniqueArray(fc.constantFrom(...tagNames), { minLength: 1 }),
          async (accounts, tags) => {
            // Act
            const { body } = await portraitGet(emulator, { To_Account: accounts, TagList: tags });

            // Assess
            const items = body.UserProfileItem as UserProfileItem[];
            expect(items.map((item) => item.To_Account)).toEqual(accounts);
            const failed = accounts.filter((account) => !known.includes(account));
            expect(body.Fail_Account).toEqual(failed.length > 0 ? failed : undefined);
            for (const item of items) {
              const stored = DEMO_PROFILES[item.To_Account];
              if (stored === undefined) {
                expect(item).toMatchObject({ ResultCode: 40003 });
                expect(item.ProfileItem).toBeUndefined();
                continue;
              }
              const expected = tags.flatMap((tag) => stored.filter((entry) => entry.Tag === tag));
              expect(item.ProfileItem).toEqual(expected);
              for (const { Tag, Value } of item.ProfileItem ?? []) {
                const type = STANDARD_TAGS[Tag as keyof typeof STANDARD_TAGS] ?? 'string';
                expect(typeof Value).toBe(type === 'uint32' ? 'number' : 'string');
              }
            }
          },
        ),
        { numRuns: 40 },
      );
    });

    it('serves 250 distinct demo accounts, in three calls of at most 100', async () => {
      // Prepare
      const accounts = Array.from({ length: 250 }, (_, i) => demoAccountName(i + 1));
      const chunks = [accounts.slice(0, 100), accounts.slice(100, 200), accounts.slice(200)];

      // Act
      const replies = await Promise.all(chunks.map((chunk) => portraitGet(emulator, nickOf(chunk))));

      // Assess
      const served = replies.flatMap((reply) => reply.body.UserProfileItem ?? []);
      expect(served.map((item) => item.To_Account)).toEqual(accounts);
      expect(served.every((item) => item.ResultCode === 0)).toBe(true);
    });
  });

  describe('profiles', () => {
    it('setProfile replaces what portrait_get answers for that account', async () => {
      // Prepare
      emulator.setProfile('newcomer', [
        { Tag: NICK, Value: 'Newcomer' },
        { Tag: 'Tag_Profile_IM_Role', Value: 4 },
      ]);

      // Act
      const reply = await portraitGet(emulator, {
        To_Account: ['newcomer'],
        TagList: [NICK, 'Tag_Profile_IM_Role'],
      });

      // Assess
      expect(reply.body.UserProfileItem?.[0]?.ProfileItem).toEqual([
        { Tag: NICK, Value: 'Newcomer' },
        { Tag: 'Tag_Profile_IM_Role', Value: 4 },
      ]);
    });

    it.each([
      ['a uint32 tag given a string', [{ Tag: 'Tag_Profile_IM_Level', Value: '3' }]],
      ['a uint32 tag given a negative number', [{ Tag: 'Tag_Profile_IM_Level', Value: -1 }]],
      ['a string tag given a number', [{ Tag: NICK, Value: 7 }]],
      ['a custom tag the app does not define', [{ Tag: 'Tag_Profile_Custom_Nope', Value: 'x' }]],
    ])('setProfile refuses %s', (_name, items) => {
      // Act
      const act = () => emulator.setProfile('someone', items);

      // Assess
      expect(act).toThrow(EmulatorConfigError);
    });
  });

  describe('faults', () => {
    it('failAccounts: those accounts fail with their code, the call stays OK', async () => {
      // Prepare
      emulator.setFaults({ failAccounts: { bob: 40006 } });

      // Act
      const reply = await portraitGet(emulator, nickOf(['alice', 'bob']));

      // Assess
      expect(reply.body).toStrictEqual({
        UserProfileItem: [
          NICK_OF_ALICE,
          {
            To_Account: 'bob',
            ResultCode: 40006,
            ResultInfo: 'Err_Profile_PortraitGet_Read_Custom_Data_Fail',
          },
        ],
        Fail_Account: ['bob'],
        ...OK_ENVELOPE,
      });
    });

    it.each([60007, 70001, 40006])('forceCode %i: the whole call fails with that code', async (code) => {
      // Prepare
      emulator.setFaults({ forceCode: code });

      // Act
      const reply = await portraitGet(emulator, nickOf(['alice']));

      // Assess
      expect(reply.body).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: code });
      expect(outcomes(emulator)).toEqual([code]);
    });

    it('httpStatus: that status with an HTML body', async () => {
      // Prepare
      emulator.setFaults({ httpStatus: 502 });

      // Act
      const response = await fetch(signedUrl(emulator.url), {
        method: 'POST',
        body: JSON.stringify(nickOf(['alice'])),
      });

      // Assess
      expect(response.status).toBe(502);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toContain('502 Bad Gateway');
      expect(outcomes(emulator)).toEqual(['http-status']);
    });

    it('malformedJson: HTTP 200 with a body that is not JSON', async () => {
      // Prepare
      emulator.setFaults({ malformedJson: true });

      // Act
      const response = await fetch(signedUrl(emulator.url), {
        method: 'POST',
        body: JSON.stringify(nickOf(['alice'])),
      });

      // Assess
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(() => JSON.parse(text)).toThrow(SyntaxError);
      expect(outcomes(emulator)).toEqual(['malformed']);
    });

    it('reset: the connection is torn down without an answer', async () => {
      // Prepare
      emulator.setFaults({ reset: true });

      // Act
      const error = await rejectionOf(portraitGet(emulator, nickOf(['alice'])));

      // Assess
      expect(error).toBeInstanceOf(TypeError);
      expect(outcomes(emulator)).toEqual(['reset']);
    });

    it('hang: no answer until the client gives up', async () => {
      // Prepare
      emulator.setFaults({ hang: true });
      const controller = new AbortController();
      const call = fetch(signedUrl(emulator.url), {
        method: 'POST',
        body: JSON.stringify(nickOf(['alice'])),
        signal: controller.signal,
      });
      await vi.waitFor(() => expect(emulator.calls).toHaveLength(1));

      // Act
      controller.abort();
      const error = await rejectionOf(call);

      // Assess
      expect(error.name).toBe('AbortError');
      expect(outcomes(emulator)).toEqual(['hang']);
    });

    it('latencyMs: a delayed answer is overtaken by a later undelayed one', async () => {
      // Prepare
      emulator.setFaults({ latencyMs: 400, times: 1 });
      const finished: string[] = [];
      const slow = portraitGet(emulator, nickOf(['alice'])).then((reply) => {
        finished.push('slow');
        return reply;
      });
      await vi.waitFor(() => expect(emulator.calls).toHaveLength(1));

      // Act
      await portraitGet(emulator, nickOf(['bob'])).then(() => finished.push('fast'));
      const delayed = await slow;

      // Assess
      expect(finished).toEqual(['fast', 'slow']);
      expect(delayed.body.UserProfileItem).toEqual([NICK_OF_ALICE]);
    });

    it('times: applies to that many calls, then the emulator is healthy again', async () => {
      // Prepare
      emulator.setFaults({ forceCode: 70500, times: 2 });

      // Act
      for (let i = 0; i < 3; i++) await portraitGet(emulator, nickOf(['alice']));

      // Assess
      expect(outcomes(emulator)).toEqual([70500, 70500, 0]);
    });

    it('faults replace every other check, and the first in precedence wins', async () => {
      // Prepare
      emulator.setFaults({ forceCode: 70001, malformedJson: true, times: 1 });

      // Act
      const response = await fetch(signedUrl(emulator.url, { usersig: 'junk' }), {
        method: 'POST',
        body: '{}',
      });

      // Assess
      expect(response.status).toBe(200);
      await response.text();
      expect(outcomes(emulator)).toEqual(['malformed']);
    });

    it.each<[string, unknown]>([
      ['an unknown fault', { explode: true }],
      ['a negative latency', { latencyMs: -1 }],
      ['zero times', { forceCode: 60007, times: 0 }],
      ['a per-account code that is not a number', { failAccounts: { bob: '40006' } }],
    ])('setFaults refuses %s', (_name, faults) => {
      // Act
      const act = () => emulator.setFaults(faults as Faults);

      // Assess
      expect(act).toThrow(EmulatorConfigError);
    });
  });

  describe('test hooks over HTTP', () => {
    const hook = (path: string, method: string, body?: unknown) =>
      fetch(`${emulator.url}/__emulator/${path}`, {
        method,
        ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });

    it('GET calls lists the recorded calls; POST reset forgets them', async () => {
      // Prepare
      await portraitGet(emulator, nickOf(['alice', 'bob']));
      await portraitGet(emulator, nickOf(['alice']), { identifier: 'alice' });

      // Act
      const listed = (await (await hook('calls', 'GET')).json()) as EmulatorCall[];
      const inProcess = [...emulator.calls];
      const reset = await hook('reset', 'POST');
      const afterReset = (await (await hook('calls', 'GET')).json()) as EmulatorCall[];

      // Assess
      expect(listed).toEqual(inProcess);
      expect(listed.map(({ accounts, outcome }) => ({ accounts, outcome }))).toEqual([
        { accounts: 2, outcome: 0 },
        { accounts: 1, outcome: 60004 },
      ]);
      expect(listed[0]?.at).toBeLessThanOrEqual(listed[1]?.at ?? 0);
      expect(reset.status).toBe(204);
      expect(afterReset).toEqual([]);
      expect(emulator.calls).toEqual([]);
    });

    it('POST faults sets faults for the next calls; {} clears them', async () => {
      // Act
      const set = await hook('faults', 'POST', { failAccounts: { alice: 40006 } });
      const faulted = await portraitGet(emulator, nickOf(['alice']));
      const cleared = await hook('faults', 'POST', {});
      const healthy = await portraitGet(emulator, nickOf(['alice']));

      // Assess
      expect([set.status, cleared.status]).toEqual([204, 204]);
      expect(faulted.body.Fail_Account).toEqual(['alice']);
      expect(healthy.body.UserProfileItem).toEqual([NICK_OF_ALICE]);
    });

    it('PUT profiles/<account> creates or replaces a profile, account names URL-encoded', async () => {
      // Act
      const put = await hook(`profiles/${encodeURIComponent('new user/1')}`, 'PUT', [
        { Tag: NICK, Value: 'Fresh' },
      ]);
      const reply = await portraitGet(emulator, nickOf(['new user/1']));

      // Assess
      expect(put.status).toBe(204);
      expect(reply.body.UserProfileItem).toEqual([
        {
          To_Account: 'new user/1',
          ProfileItem: [{ Tag: NICK, Value: 'Fresh' }],
          ResultCode: 0,
          ResultInfo: '',
        },
      ]);
    });

    it.each([
      ['faults', 'POST', { latencyMs: 'slow' }, 400],
      ['faults', 'POST', 'not json', 400],
      ['profiles/alice', 'PUT', [{ Tag: 'Tag_Profile_IM_Level', Value: 'high' }], 400],
      ['profiles/alice', 'PUT', { Tag: NICK }, 400],
      ['calls', 'DELETE', undefined, 404],
      ['nothing-here', 'GET', undefined, 404],
    ])('%s by %s with a wrong body or route → %i, nothing changed', async (path, method, body, status) => {
      // Act
      const response = await hook(path, method, body);
      const alice = await portraitGet(emulator, {
        To_Account: ['alice'],
        TagList: [NICK, 'Tag_Profile_IM_Level'],
      });

      // Assess
      expect(response.status).toBe(status);
      expect(alice.body.UserProfileItem?.[0]?.ProfileItem).toEqual([
        { Tag: NICK, Value: 'Alice' },
        { Tag: 'Tag_Profile_IM_Level', Value: 7 },
      ]);
      expect(outcomes(emulator)).toEqual([0]);
    });
  });

  it('key rotation: after setSecretKey, old UserSigs fail with 70005 and new ones pass', async () => {
    // Prepare
    const oldSig = testUserSig();
    const rotatedKey = 'rotated-secret-key-aa55aa55aa55aa55';
    const before = await portraitGet(emulator, nickOf(['alice']), { usersig: oldSig });

    // Act
    emulator.setSecretKey(rotatedKey);
    const withOld = await portraitGet(emulator, nickOf(['alice']), { usersig: oldSig });
    const withNew = await portraitGet(emulator, nickOf(['alice']), {
      usersig: testUserSig({ secretKey: rotatedKey }),
    });

    // Assess
    expect([before.body.ErrorCode, withOld.body.ErrorCode, withNew.body.ErrorCode]).toEqual([0, 70005, 0]);
  });
});

describe('the sliding-second ceiling', () => {
  const LIMIT = 5;
  const emulators: TencentEmulator[] = [];
  const start = async (now: () => number) => {
    const started = await startTestEmulator({ ratePerSecond: LIMIT, now });
    emulators.push(started);
    return started;
  };
  afterAll(async () => {
    await Promise.all(emulators.map((started) => started.close()));
  });

  it('answers exactly the calls past the limit with 60007, the window being (t − 1000 ms, t]', async () => {
    // Prepare
    const t0 = Date.now();
    let clock = t0;
    const emulator = await start(() => clock);
    const burst = (n: number) =>
      Promise.all(Array.from({ length: n }, () => portraitGet(emulator, nickOf(['alice']))));

    // Act
    const first = await burst(LIMIT + 3);
    clock = t0 + 999;
    const justInside = await burst(2);
    clock = t0 + 1000;
    const slidOn = await burst(LIMIT);

    // Assess
    const codes = (replies: { body: { ErrorCode: number } }[]) =>
      replies.map((reply) => reply.body.ErrorCode);
    expect(codes(first).filter((code) => code === 60007)).toHaveLength(3);
    expect(codes(first).filter((code) => code === 0)).toHaveLength(LIMIT);
    expect(codes(justInside)).toEqual([60007, 60007]);
    // The refused calls at t0 + 999 took no budget: all of the next LIMIT fit.
    expect(codes(slidOn)).toEqual(Array(LIMIT).fill(0));
    expect(emulator.calls.filter((call) => call.outcome === 60007)).toHaveLength(5);
  });

  it('lets calls refused before it (bad UserSig) take no budget', async () => {
    // Prepare
    const clock = Date.now();
    const emulator = await start(() => clock);
    const badSig = testUserSig({ secretKey: 'wrong' });
    await Promise.all(
      Array.from({ length: LIMIT }, () => portraitGet(emulator, nickOf(['alice']), { usersig: badSig })),
    );

    // Act
    const good = await Promise.all(
      Array.from({ length: LIMIT }, () => portraitGet(emulator, nickOf(['alice']))),
    );

    // Assess
    expect(good.map((reply) => reply.body.ErrorCode)).toEqual(Array(LIMIT).fill(0));
  });

  it('never admits more than the limit in any sliding second, and refuses only when the second is full', async () => {
    let clock = Date.now();
    const emulator = await start(() => clock);
    const admittedIn = (calls: EmulatorCall[], end: number) =>
      calls.filter((call) => call.outcome === 0 && call.at > end - 1000 && call.at <= end).length;

    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ gapMs: fc.integer({ min: 0, max: 450 }), together: fc.integer({ min: 1, max: 4 }) }),
          {
            minLength: 5,
            maxLength: 25,
          },
        ),
        async (bursts) => {
          // Prepare: a fresh stretch of time, so earlier runs leave nothing in the window
          clock += 10_000;
          emulator.resetCalls();

          // Act
          for (const { gapMs, together } of bursts) {
            clock += gapMs;
            await Promise.all(
              Array.from({ length: together }, () => portraitGet(emulator, nickOf(['alice']))),
            );
          }

          // Assess
          const calls = emulator.calls;
          expect(calls).toHaveLength(bursts.reduce((sum, burst) => sum + burst.together, 0));
          for (const call of calls) {
            expect(admittedIn(calls, call.at)).toBeLessThanOrEqual(LIMIT);
            if (call.outcome === 60007) expect(admittedIn(calls, call.at)).toBe(LIMIT);
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe('npm run emulator (emulator-cli.ts)', () => {
  it('prints its URL and the demo credentials, serves the demo profiles, and exits 0 on SIGTERM', async () => {
    // Prepare
    const child = spawn(process.execPath, ['infra/local/emulator-cli.ts'], {
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        TIM_SDKAPPID: '',
        TIM_ADMIN_IDENTIFIER: '',
        TIM_SECRET_KEY: '',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout });
    const [firstLine] = (await once(lines, 'line')) as [string];
    const url = /listening on (http:\/\/\S+)/.exec(firstLine)?.[1] as string;
    const usersig = signUserSig({ ...DEMO_CREDENTIALS });
    const query = `sdkappid=${DEMO_CREDENTIALS.sdkAppId}&identifier=${DEMO_CREDENTIALS.identifier}&usersig=${usersig}&random=1&contenttype=json`;

    // Act
    const reply = await postJson(`${url}${PORTRAIT_GET_PATH}?${query}`, {
      To_Account: ['alice'],
      TagList: [NICK, 'Tag_Profile_Custom_Team'],
    });
    child.kill('SIGTERM');
    const [exitCode] = (await once(child, 'exit')) as [number | null];

    // Assess
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(reply.body.UserProfileItem?.[0]?.ProfileItem).toEqual([
      { Tag: NICK, Value: 'Alice' },
      { Tag: 'Tag_Profile_Custom_Team', Value: 'platform' },
    ]);
    expect(exitCode).toBe(0);
  });
});
