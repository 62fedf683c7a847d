import { randomInt } from 'node:crypto';
import { Agent, request } from 'undici';
import { DEMO_CREDENTIALS, DEMO_NUMBERED_ACCOUNTS, demoAccountName } from '../infra/local/demo-profiles.ts';
import type { EmulatorCall } from '../infra/local/emulator.ts';
import { TENCENT_MAX_ACCOUNTS } from '../shared/tencent/limits.ts';
import type { PortraitGetResponse } from '../shared/tencent/portrait-types.ts';
import { PORTRAIT_GET_PATH, restApiQuery } from '../shared/tencent/rest-query.ts';
import { signUserSig } from '../shared/tencent/usersig.ts';

export const TAGS = ['Tag_Profile_IM_Nick', 'Tag_Profile_IM_Image', 'Tag_Profile_Custom_Team'];

/** One keep-alive agent for all load, so connection set-up is not what is measured. */
export const agent = new Agent({ keepAliveTimeout: 30_000, connections: 512 });

/** The environment of an `npm start` gateway on the demo app, the emulator and one dynalite table. */
export function gatewayEnv(
  emulatorUrl: string,
  dynamodbUrl: string,
  tableName: string,
  ceilingPerSecond: number,
): Record<string, string> {
  return {
    TIM_BASE_URL: emulatorUrl,
    TIM_SDKAPPID: String(DEMO_CREDENTIALS.sdkAppId),
    TIM_ADMIN_IDENTIFIER: DEMO_CREDENTIALS.identifier,
    TIM_SECRET_KEY: DEMO_CREDENTIALS.secretKey,
    DYNAMODB_ENDPOINT: dynamodbUrl,
    TABLE_NAME: tableName,
    RATE_LIMIT_PER_SECOND: String(ceilingPerSecond),
  };
}

/** Request `i` of a workload: `size` distinct demo accounts from a spread-out offset, wrapping at the last. */
export function workloadAccounts(i: number, size: number): string[] {
  const offset = (i * 379) % DEMO_NUMBERED_ACCOUNTS;
  return Array.from({ length: size }, (_, k) => demoAccountName(1 + ((offset + k) % DEMO_NUMBERED_ACCOUNTS)));
}

/** What one client request came to. */
export interface RequestOutcome {
  /** HTTP status from the gateway; for direct calls 200 when every chunk was answered OK. */
  status: number;
  /** Accounts answered with ResultCode 0. */
  profilesServed: number;
  /** Whether every account was answered. */
  complete: boolean;
}

/** POSTs a portrait_get request to a gateway and counts the profiles in its reply. */
export async function viaGateway(
  url: string,
  accounts: string[],
  headers: Record<string, string> = {},
): Promise<RequestOutcome> {
  const response = await request(`${url}/v4/profile/portrait_get`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ To_Account: accounts, TagList: TAGS }),
  });
  const body = (await response.body.json()) as PortraitGetResponse;
  const profilesServed = (body.UserProfileItem ?? []).filter((item) => item.ResultCode === 0).length;
  return { status: response.statusCode, profilesServed, complete: profilesServed === accounts.length };
}

/**
 * What a team does today: its own thin client calls Tencent directly, split into calls of 100
 * accounts (sent at once), no cache, no shared limiter, no retry.
 */
export function directClient(emulatorUrl: string): (accounts: string[]) => Promise<RequestOutcome> {
  const userSig = signUserSig(DEMO_CREDENTIALS);
  return async (accounts) => {
    const chunks: string[][] = [];
    for (let i = 0; i < accounts.length; i += TENCENT_MAX_ACCOUNTS)
      chunks.push(accounts.slice(i, i + TENCENT_MAX_ACCOUNTS));
    const served = await Promise.all(
      chunks.map(async (chunk) => {
        const query = restApiQuery(DEMO_CREDENTIALS, userSig, randomInt(0, 2 ** 32));
        const response = await request(`${emulatorUrl}${PORTRAIT_GET_PATH}?${query}`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ To_Account: chunk, TagList: TAGS }),
        });
        const body = (await response.body.json()) as PortraitGetResponse;
        return body.ErrorCode === 0
          ? (body.UserProfileItem ?? []).filter((item) => item.ResultCode === 0).length
          : 0;
      }),
    );
    const profilesServed = served.reduce((sum, n) => sum + n, 0);
    const complete = profilesServed === accounts.length;
    return { status: complete ? 200 : 429, profilesServed, complete };
  };
}

/** The emulator's record of every call since its last reset (its admin API). */
export async function emulatorCalls(emulatorUrl: string): Promise<EmulatorCall[]> {
  const response = await request(`${emulatorUrl}/__emulator/calls`, { dispatcher: agent });
  return (await response.body.json()) as EmulatorCall[];
}

export async function resetEmulator(emulatorUrl: string): Promise<void> {
  const response = await request(`${emulatorUrl}/__emulator/reset`, { method: 'POST', dispatcher: agent });
  await response.body.dump();
}
