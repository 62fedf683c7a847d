import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_CUSTOM_TAGS, DEMO_PROFILES, demoAccountName } from '../../infra/local/demo-profiles.ts';
import type { TencentEmulator } from '../../infra/local/emulator.ts';
import type {
  PortraitGetResponse,
  ProfileItem,
  UserProfileItem,
} from '../../shared/tencent/portrait-types.ts';
import { createTestTable, type RunningDynalite, startDynalite } from '../support/dynalite.ts';
import { startTestEmulator, TEST_CREDENTIALS } from '../support/emulator-factory.ts';
import { type GatewayProcess, startGatewayProcess } from '../support/gateway-process.ts';

const PORTRAIT_GET = '/v4/profile/portrait_get';

/** The accounts of Tencent's documentation examples (reference/tencent-im.md §2), beside the demo app's. */
const DOC_PROFILES: Record<string, ProfileItem[]> = {
  id1: [
    { Tag: 'Tag_Profile_IM_Nick', Value: 'NickNameTest1' },
    { Tag: 'Tag_Profile_IM_Gender', Value: 'Gender_Type_Male' },
    { Tag: 'Tag_Profile_IM_BirthDay', Value: 20190419 },
    { Tag: 'Tag_Profile_Custom_Test', Value: 'Custom1' },
  ],
  id2: [
    { Tag: 'Tag_Profile_IM_Nick', Value: 'NickNameTest2' },
    { Tag: 'Tag_Profile_IM_Gender', Value: 'Gender_Type_Female' },
    { Tag: 'Tag_Profile_Custom_Test', Value: 'Custom2' },
  ],
  id3: [{ Tag: 'Tag_Profile_IM_Nick', Value: 'NickNameTest3' }],
  id4: [{ Tag: 'Tag_Profile_IM_Nick', Value: 'NickNameTest4' }],
};

const nick = (n: number): ProfileItem => ({ Tag: 'Tag_Profile_IM_Nick', Value: `NickNameTest${n}` });
const found = (account: string, items: ProfileItem[]): UserProfileItem => ({
  To_Account: account,
  ResultCode: 0,
  ResultInfo: '',
  ProfileItem: items,
});
const ok = (items: UserProfileItem[], failed?: string[]): PortraitGetResponse => ({
  UserProfileItem: items,
  ...(failed && { Fail_Account: failed }),
  ActionStatus: 'OK',
  ErrorCode: 0,
  ErrorInfo: '',
  ErrorDisplay: '',
});

export interface Reply {
  status: number;
  headers: Headers;
  body: PortraitGetResponse;
}

/** POSTs `body` (JSON-encoded unless a string) to the gateway, as a service calling it would. */
export async function post(
  url: string,
  body: unknown,
  path = PORTRAIT_GET,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as PortraitGetResponse,
  };
}

/** The loopback world of one suite: an emulator (in this process, to count calls) and dynalite with a table. */
export interface World {
  emulator: TencentEmulator;
  dynalite: RunningDynalite;
  tableName: string;
  /** The environment that points a gateway process at them. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Starts the emulator (demo profiles and the documentation's id1…id4) and dynalite with a fresh table. */
export async function startWorld(): Promise<World> {
  const emulator = await startTestEmulator({
    profiles: { ...DEMO_PROFILES, ...DOC_PROFILES },
    customTags: [...DEMO_CUSTOM_TAGS, 'Tag_Profile_Custom_Test', 'Tag_Profile_Custom_Unset'],
  });
  const dynalite = await startDynalite();
  const tableName = await createTestTable(dynalite.client);
  return {
    emulator,
    dynalite,
    tableName,
    env: {
      TIM_BASE_URL: emulator.url,
      TIM_SDKAPPID: String(TEST_CREDENTIALS.sdkAppId),
      TIM_ADMIN_IDENTIFIER: TEST_CREDENTIALS.identifier,
      TIM_SECRET_KEY: TEST_CREDENTIALS.secretKey,
      DYNAMODB_ENDPOINT: dynalite.endpoint,
      TABLE_NAME: tableName,
    },
    close: async () => {
      await emulator.close();
      await dynalite.close();
    },
  };
}

/** `count` demo accounts in descending order (`user0250` … `user0001`), so request order is not sorted order. */
export const descendingAccounts = (count: number, from = count): string[] =>
  Array.from({ length: count }, (_, i) => demoAccountName(from - i));

/**
 * The end-to-end behaviour of `POST /v4/profile/portrait_get` over real HTTP to a gateway process
 * started with `args` (the source: none; the artifact: `--artifact --cdk-out <dir>`).
 */
export function describePortraitGet(label: string, args: () => string[]): void {
  describe(`portrait_get end to end on the ${label}`, () => {
    let world: World;
    let gateway: GatewayProcess;

    beforeAll(async () => {
      world = await startWorld();
      gateway = await startGatewayProcess({ env: world.env, args: [...args(), '--quiet'] });
    });
    afterAll(async () => {
      const exit = await gateway?.stop();
      await world?.close();
      expect(exit?.code).toBe(0);
    });
    beforeEach(() => {
      world.emulator.clearFaults();
      world.emulator.resetCalls();
    });

    describe("the examples of Tencent's documentation, in its request and reply shape", () => {
      it('one tag of one user', async () => {
        // Act
        const reply = await post(gateway.url, { To_Account: ['id1'], TagList: ['Tag_Profile_IM_Nick'] });

        // Assess
        expect(reply.status).toBe(200);
        expect(reply.body).toEqual(ok([found('id1', [nick(1)])]));
      });

      it('many tags of one user, integers as numbers and unset tags left out', async () => {
        // Act
        const reply = await post(gateway.url, {
          To_Account: ['id1'],
          TagList: [
            'Tag_Profile_IM_Nick',
            'Tag_Profile_IM_BirthDay',
            'Tag_Profile_Custom_Test',
            'Tag_Profile_Custom_Unset',
          ],
        });

        // Assess
        expect(reply.status).toBe(200);
        expect(reply.body).toEqual(
          ok([
            found('id1', [
              nick(1),
              { Tag: 'Tag_Profile_IM_BirthDay', Value: 20190419 },
              { Tag: 'Tag_Profile_Custom_Test', Value: 'Custom1' },
            ]),
          ]),
        );
      });

      it('one tag of many users, in request order', async () => {
        // Act
        const reply = await post(gateway.url, {
          To_Account: ['id3', 'id1', 'id2'],
          TagList: ['Tag_Profile_IM_Nick'],
        });

        // Assess
        expect(reply.status).toBe(200);
        expect(reply.body).toEqual(
          ok([found('id3', [nick(3)]), found('id1', [nick(1)]), found('id2', [nick(2)])]),
        );
      });

      it('many tags of many users, one failing, as an OK reply with Fail_Account', async () => {
        // Prepare
        world.emulator.setFaults({ failAccounts: { id4: 40006 } });

        // Act
        const reply = await post(gateway.url, {
          To_Account: ['id1', 'id2', 'id4'],
          TagList: ['Tag_Profile_IM_Nick', 'Tag_Profile_IM_Gender', 'Tag_Profile_Custom_Test'],
        });

        // Assess
        expect(reply.status).toBe(200);
        expect(reply.body).toEqual(
          ok(
            [
              found('id1', [
                nick(1),
                { Tag: 'Tag_Profile_IM_Gender', Value: 'Gender_Type_Male' },
                { Tag: 'Tag_Profile_Custom_Test', Value: 'Custom1' },
              ]),
              found('id2', [
                nick(2),
                { Tag: 'Tag_Profile_IM_Gender', Value: 'Gender_Type_Female' },
                { Tag: 'Tag_Profile_Custom_Test', Value: 'Custom2' },
              ]),
              {
                To_Account: 'id4',
                ResultCode: 40006,
                ResultInfo: 'Err_Profile_PortraitGet_Read_Custom_Data_Fail',
              },
            ],
            ['id4'],
          ),
        );
      });
    });

    describe('more than 100 accounts', () => {
      const accounts = descendingAccounts(250);
      const tags = ['Tag_Profile_IM_Nick', 'Tag_Profile_Custom_Team'];
      let first: Reply;

      it('250 accounts cost 3 upstream calls of at most 100, and come back in request order', async () => {
        // Act
        first = await post(gateway.url, { To_Account: accounts, TagList: tags });

        // Assess
        expect(first.status).toBe(200);
        expect(world.emulator.calls.map((call) => call.accounts).sort()).toEqual([100, 100, 50]);
        expect(world.emulator.calls.every((call) => call.outcome === 0)).toBe(true);
        expect(first.body.UserProfileItem?.map((item) => item.To_Account)).toEqual(accounts);
        expect(first.body.UserProfileItem?.every((item) => item.ResultCode === 0)).toBe(true);
        expect(first.body.Fail_Account).toBeUndefined();
        expect(first.headers.get('x-upstream-calls')).toBe('3');
      });

      it('the same 250 again cost no upstream call and give the same answer', async () => {
        // Act
        const again = await post(gateway.url, { To_Account: accounts, TagList: tags });

        // Assess
        expect(again.status).toBe(200);
        expect(world.emulator.calls).toHaveLength(0);
        expect(again.body).toEqual(first.body);
        expect(again.headers.get('x-cache-hits')).toBe('250');
      });
    });

    it('an unknown account is answered in Fail_Account with 40003, the others served', async () => {
      // Act
      const reply = await post(gateway.url, {
        To_Account: ['alice', 'nobody'],
        TagList: ['Tag_Profile_IM_Nick'],
      });

      // Assess
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ ActionStatus: 'OK', ErrorCode: 0, Fail_Account: ['nobody'] });
      expect(reply.body.UserProfileItem).toEqual([
        found('alice', [{ Tag: 'Tag_Profile_IM_Nick', Value: 'Alice' }]),
        { To_Account: 'nobody', ResultCode: 40003, ResultInfo: expect.any(String) },
      ]);
    });

    describe.each([
      ['a body that is not JSON', 'To_Account=alice', 60003, undefined],
      ['no To_Account', { TagList: ['Tag_Profile_IM_Nick'] }, 40002, 'To_Account'],
      [
        'To_Account not a list',
        { To_Account: 'alice', TagList: ['Tag_Profile_IM_Nick'] },
        40001,
        'To_Account',
      ],
      ['no TagList', { To_Account: ['alice'] }, 40001, 'TagList'],
    ])('%s', (_, body, code, field) => {
      it(`is answered 400 with ${code} in Tencent's shape, without calling Tencent`, async () => {
        // Act
        const reply = await post(gateway.url, body);

        // Assess
        expect(reply.status).toBe(400);
        expect(reply.body).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: code });
        if (field) expect(reply.body.ErrorInfo).toContain(field);
        expect(reply.body.UserProfileItem).toBeUndefined();
        expect(world.emulator.calls).toHaveLength(0);
      });
    });

    it('a path the API does not serve is a Tencent-shaped 404', async () => {
      // Act
      const reply = await post(gateway.url, {}, '/v4/profile/portrait_set');

      // Assess
      expect(reply.status).toBe(404);
      expect(reply.body).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 60002 });
    });
  });
}
