import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApiGatewayEvent } from '../../infra/local/api-gateway-event.ts';
import { DynamoProfileCache } from '../../shared/cache/profile-cache.ts';
import type { Gateway } from '../../shared/gateway.ts';
import { MAX_BODY_BYTES } from '../../shared/http/body-size-limit.ts';
import { createPortraitHttpHandler } from '../../shared/http/portrait-http-handler.ts';
import { FAIL_CLOSED_RETRY_MS } from '../../shared/ratelimit/dynamo-rate-limiter.ts';
import type { PortraitGetResponse } from '../../shared/tencent/portrait-types.ts';
import { CapturedOutput } from '../support/captured-output.ts';
import { TEST_CREDENTIALS } from '../support/emulator-factory.ts';
import { GatewayHarness, secretJson, TEST_SECRET_ID } from '../support/gateway-harness.ts';
import { apiGatewayEvent, type HttpEventInput, lambdaContext } from '../support/lambda-events.ts';
import { DEMO_AND_DOC_ACCOUNTS, DOC_EXAMPLES, foundItem } from '../support/tencent-doc-examples.ts';

const NICK = 'Tag_Profile_IM_Nick';
const GENDER = 'Tag_Profile_IM_Gender';
const TEAM = 'Tag_Profile_Custom_Team';

interface Reply {
  statusCode: number;
  headers: Record<string, string>;
  body: PortraitGetResponse;
  raw: string;
}

type Handler = ReturnType<typeof createPortraitHttpHandler>;

async function invoke(handler: Handler, input: HttpEventInput, remainingMs = 10_000): Promise<Reply> {
  const result = await handler(apiGatewayEvent(input), lambdaContext({ remainingMs }));
  return {
    statusCode: result.statusCode,
    headers: (result.headers ?? {}) as Record<string, string>,
    body: JSON.parse(result.body) as PortraitGetResponse,
    raw: JSON.stringify(result),
  };
}

const expectTencentFailure = (reply: Reply, statusCode: number, errorCode: number) => {
  expect(reply.statusCode).toBe(statusCode);
  expect(reply.body).toEqual({
    ActionStatus: 'FAIL',
    ErrorCode: errorCode,
    ErrorInfo: expect.any(String),
    ErrorDisplay: '',
  });
  expect(reply.headers['Content-Type']).toMatch(/^application\/json/);
};

let harness: GatewayHarness;
let gateway: Gateway;
let handler: Handler;
const output = new CapturedOutput();

beforeAll(async () => {
  harness = await GatewayHarness.start(DEMO_AND_DOC_ACCOUNTS);
  gateway = harness.gateway();
  handler = createPortraitHttpHandler(gateway);
  output.start();
});

afterEach(() => {
  harness.emulator.clearFaults();
  output.clear();
});

afterAll(async () => {
  output.stop();
  await harness.close();
});

describe("the examples of Tencent's documentation, through the HTTP handler", () => {
  describe.each(DOC_EXAMPLES)('$name', ({ request, faults, reply: documented }) => {
    it('is answered 200 with the documented reply', async () => {
      if (faults) harness.emulator.setFaults(faults);

      const reply = await invoke(handler, { body: request });

      expect(reply.statusCode).toBe(200);
      expect(reply.body).toEqual(documented);
    });

    it('with every account asked twice, still answers each once, where first asked', async () => {
      if (faults) harness.emulator.setFaults(faults);

      const reply = await invoke(handler, {
        body: { ...request, To_Account: [...request.To_Account, ...request.To_Account] },
      });

      expect(reply.statusCode).toBe(200);
      expect(reply.body).toEqual(documented);
    });
  });
});

describe('serving', () => {
  it('accepts more than 100 accounts and chunks them itself', async () => {
    const accounts = Array.from({ length: 250 }, (_, i) => `user${String(i + 1).padStart(4, '0')}`);
    const callsBefore = harness.emulator.calls.length;

    const reply = await invoke(handler, { body: { To_Account: accounts, TagList: [TEAM] } });

    const calls = harness.emulator.calls.slice(callsBefore);
    expect(reply.statusCode).toBe(200);
    expect(reply.body.UserProfileItem?.map((item) => item.To_Account)).toEqual(accounts);
    expect(calls.map((call) => call.accounts).sort((a, b) => a - b)).toEqual([50, 100, 100]);
    expect(reply.headers['X-Upstream-Calls']).toBe('3');
  });

  it('reads a base64 body, as API Gateway passes it, and compresses the reply for a caller that accepts gzip', async () => {
    const body = JSON.stringify({ To_Account: ['alice', 'bob'], TagList: [NICK] });

    const result = await handler(
      apiGatewayEvent({
        body: Buffer.from(body).toString('base64'),
        isBase64Encoded: true,
        headers: { 'Content-Type': 'application/json', 'Accept-Encoding': 'gzip, deflate, br' },
      }),
      lambdaContext(),
    );

    expect(result).toMatchObject({
      statusCode: 200,
      isBase64Encoded: true,
      headers: { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' },
    });
    const reply = JSON.parse(gunzipSync(Buffer.from(result.body, 'base64')).toString('utf8'));
    expect(reply.UserProfileItem.map((item: { To_Account: string }) => item.To_Account)).toEqual([
      'alice',
      'bob',
    ]);
  });

  it('says how it served: misses then hits, with Server-Timing', async () => {
    const body = { To_Account: ['alice', 'bob'], TagList: [NICK, GENDER] };

    const first = await invoke(handler, { body });
    const callsBetween = harness.emulator.calls.length;
    const second = await invoke(handler, { body });

    expect(first.headers).toMatchObject({
      'X-Cache-Hits': '0',
      'X-Cache-Misses': '2',
      'X-Upstream-Calls': '1',
    });
    expect(second.headers).toMatchObject({
      'X-Cache-Hits': '2',
      'X-Cache-Misses': '0',
      'X-Upstream-Calls': '0',
    });
    expect(harness.emulator.calls.length).toBe(callsBetween);
    expect(second.body).toEqual(first.body);
    expect(second.headers['Server-Timing']).toMatch(/^total;dur=[\d.]+, slot;dur=[\d.]+/);
  });

  it('Cache-Control: no-cache skips the cache read', async () => {
    const body = { To_Account: ['carol'], TagList: [NICK] };
    await invoke(handler, { body });
    const callsBefore = harness.emulator.calls.length;

    const reply = await invoke(handler, { body, headers: { 'Cache-Control': 'no-cache' } });

    expect(reply.headers).toMatchObject({ 'X-Cache-Hits': '0', 'X-Upstream-Calls': '1' });
    expect(harness.emulator.calls.length).toBe(callsBefore + 1);
  });

  it('Cache-Control: max-age=N refuses values older than N seconds; without it the TTL decides', async () => {
    const twoMinutesAgo = new DynamoProfileCache({
      client: harness.dynalite.documentClient,
      tableName: harness.tableName,
      cacheTtlSeconds: 600,
      negativeCacheTtlSeconds: 60,
      now: () => Date.now() - 120_000,
    });
    await twoMinutesAgo.write(
      TEST_CREDENTIALS.sdkAppId,
      [NICK],
      [foundItem('dave', [{ Tag: NICK, Value: 'Old Dave' }])],
      Date.now() - 120_000,
    );
    const body = { To_Account: ['dave'], TagList: [NICK] };

    const byTtl = await invoke(handler, { body });
    const byMaxAge = await invoke(handler, { body, headers: { 'cache-control': 'max-age=60' } });

    expect(byTtl.headers['X-Cache-Hits']).toBe('1');
    expect(byTtl.body.UserProfileItem?.[0]?.ProfileItem).toEqual([{ Tag: NICK, Value: 'Old Dave' }]);
    expect(byMaxAge.headers['X-Cache-Misses']).toBe('1');
    expect(byMaxAge.body.UserProfileItem?.[0]?.ProfileItem?.[0]?.Value).not.toBe('Old Dave');
  });

  it('Tencent failing after freshness ran out: 200 from the stale value with X-Cache-Stale; stale-if-error=0 opts out', async () => {
    const elevenMinutesAgo = Date.now() - 660_000;
    await new DynamoProfileCache({
      client: harness.dynalite.documentClient,
      tableName: harness.tableName,
      cacheTtlSeconds: 600,
      negativeCacheTtlSeconds: 60,
      staleIfErrorSeconds: 86_400,
      now: () => elevenMinutesAgo,
    }).write(
      TEST_CREDENTIALS.sdkAppId,
      [NICK],
      [foundItem('sybil', [{ Tag: NICK, Value: 'Old Sybil' }])],
      elevenMinutesAgo,
    );
    harness.emulator.setFaults({ httpStatus: 502 });
    const body = { To_Account: ['sybil'], TagList: [NICK] };

    const stale = await invoke(handler, { body });
    const optedOut = await invoke(handler, { body, headers: { 'Cache-Control': 'stale-if-error=0' } });

    expect(stale.statusCode).toBe(200);
    expect(stale.headers['X-Cache-Stale']).toBe('1');
    expect(stale.body.UserProfileItem?.[0]?.ProfileItem).toEqual([{ Tag: NICK, Value: 'Old Sybil' }]);
    expect(output.metric('StaleServed')).toContain(1);
    expectTencentFailure(optedOut, 502, 60008);
  });

  it('logs with the API Gateway request id as correlation id and writes EMF metrics', async () => {
    await invoke(handler, { body: { To_Account: ['erin'], TagList: [NICK] }, requestId: 'req-1234' });

    expect(output.logs('served')).toEqual([
      expect.objectContaining({ correlation_id: 'req-1234', service: 'portrait-gateway', upstreamCalls: 1 }),
    ]);
    expect(output.metric('CacheMisses')).toContain(1);
    expect(output.metric('UpstreamCalls')).toContain(1);
    expect(output.records.find((record) => '_aws' in record)).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'PortraitGateway' }] },
    });
  });
  it('counts a cold start once per instance and failed upstream attempts by code', async () => {
    // Lambda sets this for on-demand instances; Powertools counts no cold start without it.
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    const instance = createPortraitHttpHandler(harness.gateway());
    vi.unstubAllEnvs();
    harness.emulator.setFaults({ forceCode: 70500, times: 1 });

    const reply = await invoke(instance, { body: { To_Account: ['erin'], TagList: [GENDER] } });
    await invoke(instance, { body: { To_Account: ['erin'], TagList: [GENDER] } });

    expect(reply.statusCode).toBe(200);
    expect(reply.headers['X-Upstream-Calls']).toBe('2');
    expect(output.metric('ColdStart')).toEqual([1]);
    expect(output.records.filter((record) => record.UpstreamErrors !== undefined)).toEqual([
      expect.objectContaining({ ErrorCode: '70500', UpstreamErrors: 1 }),
    ]);
  });
});

describe('each error class → HTTP status and a Tencent-shaped body', () => {
  describe.each([
    ['no To_Account', { TagList: [NICK] }, 40002, 'To_Account'],
    ['an empty To_Account', { To_Account: [], TagList: [NICK] }, 40002, 'To_Account'],
    ['a malformed UserID', { To_Account: ['ok', 'x'.repeat(33)], TagList: [NICK] }, 40001, 'To_Account[1]'],
    [
      'an unknown standard tag',
      { To_Account: ['alice'], TagList: ['Tag_Profile_IM_Nickname'] },
      40001,
      'TagList[0]',
    ],
    ['too many accounts', { To_Account: Array(1001).fill('alice'), TagList: [NICK] }, 40001, 'To_Account'],
    ['a body that is a list', [{ To_Account: ['alice'] }], 40001, 'body'],
  ])('a request with %s', (_case, body, code, field) => {
    it(`is answered 400 with ${code} naming ${field}, and never reaches Tencent`, async () => {
      const callsBefore = harness.emulator.calls.length;

      const reply = await invoke(handler, { body });

      expectTencentFailure(reply, 400, code);
      expect(reply.body.ErrorInfo).toContain(field);
      expect(harness.emulator.calls.length).toBe(callsBefore);
    });
  });

  it('a body that is not JSON: 400 with 60003', async () => {
    const reply = await invoke(handler, { body: '{"To_Account": ["alice"], ' });

    expectTencentFailure(reply, 400, 60003);
    expect(reply.body.ErrorInfo).toMatch(/^body /);
  });

  it('a body over the size limit: 413 with 40001 naming the body', async () => {
    const reply = await invoke(handler, { body: `{"To_Account": ["${'a'.repeat(MAX_BODY_BYTES)}"]}` });

    expectTencentFailure(reply, 413, 40001);
    expect(reply.body.ErrorInfo).toMatch(/^body /);
  });

  it("Tencent's refusal of a tag the app lacks: 400 with Tencent's 40009", async () => {
    const reply = await invoke(handler, {
      body: { To_Account: ['frank'], TagList: ['Tag_Profile_Custom_Nope'] },
    });

    expectTencentFailure(reply, 400, 40009);
  });

  it("Tencent's ceiling (60007) on every attempt: 429 with Retry-After", async () => {
    harness.emulator.setFaults({ forceCode: 60007 });

    const reply = await invoke(handler, { body: { To_Account: ['grace'], TagList: [NICK] } });

    expectTencentFailure(reply, 429, 60007);
    expect(Number(reply.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
  });

  it('no call slot before the deadline: 429 with 60007 and Retry-After, no upstream call', async () => {
    const callsBefore = harness.emulator.calls.length;

    const reply = await invoke(handler, { body: { To_Account: ['heidi'], TagList: [NICK] } }, 900);

    expectTencentFailure(reply, 429, 60007);
    expect(Number(reply.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(harness.emulator.calls.length).toBe(callsBefore);
  });

  describe.each([
    ['answers HTTP 502', { httpStatus: 502 }, 60008],
    ['resets the connection', { reset: true }, 60008],
    ['answers malformed JSON', { malformedJson: true }, 70500],
    ['fails internally every time', { forceCode: 70500 }, 70500],
    ['says the SDKAppID is invalid', { forceCode: 60006 }, 60006],
  ])('when Tencent %s', (_case, faults, code) => {
    it(`answers 502 with ${code}`, async () => {
      harness.emulator.setFaults(faults);

      const reply = await invoke(handler, { body: { To_Account: ['ivan'], TagList: [NICK] } });

      expectTencentFailure(reply, 502, code);
    });
  });

  it('the secret cannot be read: 503 with Retry-After', async () => {
    const broken = createPortraitHttpHandler(harness.gateway({ TIM_SECRET_ID: 'no-such-secret' }));

    const reply = await invoke(broken, { body: { To_Account: ['judy'], TagList: [NICK] } });

    expectTencentFailure(reply, 503, 70500);
    expect(reply.body.ErrorInfo).toContain('secret');
    expect(reply.headers['Retry-After']).toBe('1');
  });

  it("the limiter's table fails: 503 with the limiter's Retry-After, no upstream call", async () => {
    const tableless = createPortraitHttpHandler(harness.gateway({ TABLE_NAME: 'no-such-table' }));
    const callsBefore = harness.emulator.calls.length;

    const reply = await invoke(tableless, { body: { To_Account: ['judy'], TagList: [NICK] } });

    expectTencentFailure(reply, 503, 70500);
    expect(reply.body.ErrorInfo).toContain('table');
    expect(reply.headers['Retry-After']).toBe(String(FAIL_CLOSED_RETRY_MS / 1000));
    expect(harness.emulator.calls.length).toBe(callsBefore);
  });

  it("running out of the invocation's time (a slow secret read): 503 with a generic message, stack only in the log", async () => {
    const coldStart = createPortraitHttpHandler(harness.gateway());
    harness.secrets.latencyMs = 300;

    try {
      const reply = await invoke(coldStart, { body: { To_Account: ['judy'], TagList: [NICK] } }, 100);

      expectTencentFailure(reply, 503, 60008);
      expect(reply.headers['Retry-After']).toBe('1');
      expect(reply.raw).not.toMatch(/\n\s+at |\.ts:\d+/);
      expect(output.logs('request failed')[0]).toMatchObject({
        error: { stack: expect.stringContaining(' at ') },
      });
    } finally {
      harness.secrets.latencyMs = 0;
    }
  });
});

describe('fuzzing bodies and headers', () => {
  const account = fc.oneof(
    fc.constantFrom('alice', 'bob', 'user0001', 'user0002', 'nobody'),
    fc.string({ maxLength: 40 }),
    fc.integer(),
  );
  const tag = fc.oneof(
    fc.constantFrom(NICK, GENDER, TEAM, 'Tag_Profile_IM_Nope', 'Tag_Profile_Custom_Nope'),
    fc.string(),
  );
  const body = fc.oneof(
    fc.record(
      {
        To_Account: fc.oneof(fc.array(account, { maxLength: 5 }), account),
        TagList: fc.oneof(fc.array(tag, { maxLength: 4 }), tag),
      },
      { requiredKeys: [] },
    ),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    fc.string(),
  );
  const headers = fc.dictionary(
    fc.constantFrom(
      'Content-Type',
      'content-type',
      'Cache-Control',
      'cache-control',
      'X-Forwarded-For',
      'Accept',
    ),
    fc.string({ maxLength: 60 }),
  );

  it('always answers a Tencent-shaped 200 or 4xx, never 5xx, and invalid input never reaches Tencent', async () => {
    await fc.assert(
      fc.asyncProperty(body, headers, async (input, requestHeaders) => {
        const callsBefore = harness.emulator.calls.length;

        const reply = await invoke(handler, { body: input, headers: requestHeaders });

        expect([200, 400, 413]).toContain(reply.statusCode);
        expect(reply.body).toMatchObject({
          ActionStatus: expect.stringMatching(/^(OK|FAIL)$/),
          ErrorCode: expect.any(Number),
        });
        expect(typeof reply.body.ErrorInfo).toBe('string');
        if ([40001, 40002, 60003].includes(reply.body.ErrorCode)) {
          expect(harness.emulator.calls.length).toBe(callsBefore);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('secrets', () => {
  it('the secret key and UserSigs never appear in a reply or a log line, on any path', async () => {
    const { userSig } = await gateway.signer.current();
    const replies: Reply[] = [];
    const request =
      (faults: Parameters<typeof harness.emulator.setFaults>[0], remainingMs = 10_000) =>
      async () => {
        harness.emulator.setFaults(faults);
        // no-cache: every path must reach Tencent, not stop at what an earlier path cached.
        const body = { To_Account: ['leak1', 'alice'], TagList: [NICK, TEAM] };
        replies.push(await invoke(handler, { body, headers: { 'Cache-Control': 'no-cache' } }, remainingMs));
        harness.emulator.clearFaults();
      };
    const paths = [
      request({}),
      request({ httpStatus: 502 }),
      request({ reset: true }),
      request({ malformedJson: true }),
      request({ forceCode: 70005 }),
      request({ forceCode: 70001 }),
      request({ forceCode: 60006 }),
      request({ forceCode: 60007 }),
      request({ failAccounts: { leak1: 40006 } }),
      request({}, 900),
      async () => {
        harness.secrets.latencyMs = 300;
        const coldStart = createPortraitHttpHandler(harness.gateway());
        replies.push(await invoke(coldStart, { body: { To_Account: ['leak2'], TagList: [NICK] } }, 100));
        harness.secrets.latencyMs = 0;
        replies.push(await invoke(handler, { body: '{"To_Account": ' }));
        replies.push(await invoke(handler, { body: { To_Account: [7], TagList: [NICK] } }));
        const broken = createPortraitHttpHandler(harness.gateway({ TIM_SECRET_ID: 'missing' }));
        replies.push(await invoke(broken, { body: { To_Account: ['alice'], TagList: [NICK] } }));
      },
    ];

    for (const path of paths) await path();

    const everything = `${output.text}\n${replies.map((reply) => reply.raw).join('\n')}`;
    expect(new Set(replies.map((reply) => reply.statusCode))).toEqual(new Set([200, 400, 429, 502, 503]));
    expect(output.logs('request failed').length).toBeGreaterThan(0);
    expect(everything).not.toContain(TEST_CREDENTIALS.secretKey);
    expect(everything).not.toContain(userSig);
    expect(everything).not.toMatch(/usersig=(?!\[redacted\])/i);
  });

  it('after a rotation of the secret and of Tencent’s key, the next request succeeds after one refresh', async () => {
    const rotated = { ...TEST_CREDENTIALS, secretKey: 'rotated-secret-key-9b8a7c6d5e4f3a2b1c0d' };
    const fresh = createPortraitHttpHandler(harness.gateway());
    await invoke(fresh, { body: { To_Account: ['rot1'], TagList: [NICK] } });
    const readsBefore = harness.secrets.reads;
    harness.secrets.setSecret(TEST_SECRET_ID, secretJson(rotated));
    harness.emulator.setSecretKey(rotated.secretKey);

    try {
      const reply = await invoke(fresh, { body: { To_Account: ['rot2'], TagList: [NICK] } });

      expect(reply.statusCode).toBe(200);
      expect(reply.body.UserProfileItem?.[0]).toMatchObject({ To_Account: 'rot2' });
      expect(harness.secrets.reads - readsBefore).toBe(1);
      expect(output.text).not.toContain(rotated.secretKey);
    } finally {
      harness.secrets.setSecret(TEST_SECRET_ID, secretJson(TEST_CREDENTIALS));
      harness.emulator.setSecretKey(TEST_CREDENTIALS.secretKey);
    }
  });
});

describe('Cache-Control sent on several header lines', () => {
  /** The proxy event of a request whose `Cache-Control` came as one header line per entry of `lines`. */
  const withCacheControlLines = (body: unknown, lines: string[]) =>
    buildApiGatewayEvent(
      {
        method: 'POST',
        url: '/v4/profile/portrait_get',
        headers: [
          ['Content-Type', 'application/json'],
          ...lines.map((line): [string, string] => ['Cache-Control', line]),
        ],
        body: JSON.stringify(body),
      },
      { resource: '/v4/profile/portrait_get', stage: 'test' },
    );

  it('honours a no-store on one line when a later line says max-age', async () => {
    const body = { To_Account: ['user0951'], TagList: [NICK] };
    const warm = await invoke(handler, { body });

    const result = await handler(
      withCacheControlLines(body, ['no-store', 'max-age=600']),
      lambdaContext({ remainingMs: 10_000 }),
    );

    // Had only the last line counted, the value just cached would have been served.
    expect(warm.headers['X-Cache-Misses']).toBe('1');
    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({ 'X-Cache-Hits': '0', 'X-Upstream-Calls': '1' });
  });
});
