import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CREDENTIALS, demoAccountName } from '../../infra/local/demo-profiles.ts';
import { LAMBDA_RESPONSE_MAX_BYTES } from '../../shared/http/lambda-reply.ts';
import type { PortraitGetResponse } from '../../shared/tencent/portrait-types.ts';
import { EMULATOR_SCRIPT, type GatewayProcess, startGatewayProcess } from '../support/gateway-process.ts';

/** The demo app's string fields: seven standard tags and its custom one. */
const STRING_TAGS = [
  'Tag_Profile_IM_Nick',
  'Tag_Profile_IM_Gender',
  'Tag_Profile_IM_Location',
  'Tag_Profile_IM_SelfSignature',
  'Tag_Profile_IM_AllowType',
  'Tag_Profile_IM_Image',
  'Tag_Profile_IM_AdminForbidType',
  'Tag_Profile_Custom_Team',
];
/** 500 bytes that JSON escapes: each value takes 3000 bytes in the reply, 3500 in a Lambda response. */
const VALUE = '\u0001'.repeat(500);
const ACCOUNTS = Array.from({ length: 300 }, (_, i) => demoAccountName(i + 1));

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw POST: no encoding asked for unless `headers` says so, the body as it came. */
function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const readBody = (reply: Reply): PortraitGetResponse =>
  JSON.parse(
    (reply.headers['content-encoding'] === 'gzip' ? gunzipSync(reply.body) : reply.body).toString('utf8'),
  );

/**
 * `npm start` as a user runs it, the demo profiles given eight 500-byte string fields: a request of
 * 300 accounts and those eight tags comes to 7.2 MB of JSON, over a Lambda response. DynamoDB and
 * the emulator run in processes of their own, as in the bench: an in-process dynalite on a busy
 * machine times out some of the 300 cache writes, which the second request would then pay for.
 */
describe('npm start: replies larger than a Lambda response', () => {
  const processes: GatewayProcess[] = [];
  let portraitGet: string;
  let emulatorCalls: () => Promise<number>;

  beforeAll(async () => {
    const [dynamodb, emulatorProcess] = await Promise.all([
      startGatewayProcess({}, 'bench/dynalite-server.ts'),
      startGatewayProcess({}, EMULATOR_SCRIPT),
    ]);
    processes.push(dynamodb, emulatorProcess);
    const emulator = emulatorProcess.url;
    const gateway = await startGatewayProcess({
      env: {
        TIM_BASE_URL: emulator,
        TIM_SDKAPPID: String(DEMO_CREDENTIALS.sdkAppId),
        TIM_ADMIN_IDENTIFIER: DEMO_CREDENTIALS.identifier,
        TIM_SECRET_KEY: DEMO_CREDENTIALS.secretKey,
        DYNAMODB_ENDPOINT: dynamodb.url,
      },
      args: ['--quiet'],
    });
    processes.push(gateway);
    portraitGet = `${gateway.url}/v4/profile/portrait_get`;
    for (const account of ACCOUNTS) {
      const profile = STRING_TAGS.map((Tag) => ({ Tag, Value: VALUE }));
      const put = await fetch(`${emulator}/__emulator/profiles/${account}`, {
        method: 'PUT',
        body: JSON.stringify(profile),
      });
      expect(put.status).toBe(204);
    }
    emulatorCalls = async () =>
      ((await (await fetch(`${emulator}/__emulator/calls`)).json()) as unknown[]).length;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(processes.map((process) => process.stop()));
  });

  it('refuses 300 accounts with 413 saying how many fit; that many then come from the cache, no call made', async () => {
    // Act
    const tooLarge = await post(portraitGet, { To_Account: ACCOUNTS, TagList: STRING_TAGS });
    const envelope = readBody(tooLarge);
    const fit = Number(/at most (\d+) fit/.exec(envelope.ErrorInfo)?.[1]);
    const callsBefore = await emulatorCalls();
    const smaller = await post(portraitGet, { To_Account: ACCOUNTS.slice(0, fit), TagList: STRING_TAGS });

    // Assess
    expect(tooLarge.status).toBe(413);
    expect(envelope).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 40001 });
    expect(fit).toBeGreaterThan(150);
    expect(fit).toBeLessThan(ACCOUNTS.length);
    expect(smaller.status).toBe(200);
    expect(smaller.headers['x-upstream-calls']).toBe('0');
    expect(readBody(smaller).UserProfileItem).toHaveLength(fit);
    expect(smaller.body.length).toBeLessThanOrEqual(LAMBDA_RESPONSE_MAX_BYTES);
    expect(await emulatorCalls()).toBe(callsBefore);
  });

  it('answers all 300 accounts to a caller that accepts gzip, compressed, from the cache', async () => {
    // Act
    const reply = await post(
      portraitGet,
      { To_Account: ACCOUNTS, TagList: STRING_TAGS },
      { 'Accept-Encoding': 'gzip' },
    );

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.headers['content-encoding']).toBe('gzip');
    expect(reply.headers['x-upstream-calls']).toBe('0');
    const served = readBody(reply);
    expect(served.UserProfileItem).toHaveLength(ACCOUNTS.length);
    expect(served.UserProfileItem?.at(-1)?.ProfileItem).toContainEqual({
      Tag: 'Tag_Profile_Custom_Team',
      Value: VALUE,
    });
    expect(Buffer.byteLength(JSON.stringify(served))).toBeGreaterThan(LAMBDA_RESPONSE_MAX_BYTES);
  });
});
