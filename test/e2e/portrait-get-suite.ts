import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { demoAccountName } from '../../infra/local/demo-profiles.ts';
import type { TencentEmulator } from '../../infra/local/emulator.ts';
import type { PortraitGetResponse } from '../../shared/tencent/portrait-types.ts';
import { createTestTable, type RunningDynalite, startDynalite } from '../support/dynalite.ts';
import { startTestEmulator, TEST_CREDENTIALS } from '../support/emulator-factory.ts';
import { type GatewayProcess, startGatewayProcess } from '../support/gateway-process.ts';
import { DEMO_AND_DOC_ACCOUNTS, DOC_EXAMPLES, foundItem } from '../support/tencent-doc-examples.ts';

const PORTRAIT_GET = '/v4/profile/portrait_get';

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
  const emulator = await startTestEmulator(DEMO_AND_DOC_ACCOUNTS);
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
      it.each(DOC_EXAMPLES)('$name', async ({ request, faults, reply: documented }) => {
        // Prepare
        if (faults) world.emulator.setFaults(faults);

        // Act
        const reply = await post(gateway.url, request);

        // Assess
        expect(reply.status).toBe(200);
        expect(reply.body).toEqual(documented);
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
        foundItem('alice', [{ Tag: 'Tag_Profile_IM_Nick', Value: 'Alice' }]),
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
