import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TencentEmulator } from '../../infra/local/emulator.ts';
import { profileKey } from '../../shared/cache/cached-item.ts';
import { DynamoProfileCache } from '../../shared/cache/profile-cache.ts';
import { MAX_CALLBACK_BODY_BYTES } from '../../shared/callback/callback-commands.ts';
import { CallbackReceiver } from '../../shared/callback/callback-receiver.ts';
import { parseConfig } from '../../shared/config.ts';
import { DependencyError } from '../../shared/errors.ts';
import { createCallbackGateway } from '../../shared/gateway.ts';
import { createCallbackHttpHandler } from '../../shared/http/callback-http-handler.ts';
import { staticCredentials } from '../../shared/secrets/static-credentials.ts';
import { createLogger, createMetrics } from '../../shared/telemetry.ts';
import { callbackSign } from '../../shared/tencent/callback-signature.ts';
import type { PortraitGetResponse } from '../../shared/tencent/portrait-types.ts';
import { MAX_CUSTOM_TAGS } from '../../shared/tencent/profile-tags.ts';
import { LOOPBACK_AWS_CREDENTIALS, LOOPBACK_AWS_REGION } from '../support/aws-endpoints.ts';
import {
  createTestTable,
  loopbackClients,
  type RunningDynalite,
  startDynalite,
} from '../support/dynalite.ts';
import { startTestEmulator, TEST_CREDENTIALS } from '../support/emulator-factory.ts';
import { apiGatewayEvent, lambdaContext } from '../support/lambda-events.ts';
import { type LoopbackServer, startLoopbackServer } from '../support/loopback-http.ts';
import { ManualClock } from '../support/manual-clock.ts';

const TOKEN = 'callback-token-for-tests';
const NICK = 'Tag_Profile_IM_Nick';
const LEVEL = 'Tag_Profile_IM_Level';
const GENDER = 'Tag_Profile_IM_Gender';
const ROLE = 'Tag_Profile_IM_Role';
const SDKAPPID = String(TEST_CREDENTIALS.sdkAppId);

type Handler = (
  event: APIGatewayProxyEvent,
  context: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyResult>;

let emulator: TencentEmulator;
let dynalite: RunningDynalite;
let tableName: string;
let callback: Handler;
let portraitGet: Handler;
let output: ReturnType<typeof captureOutput>;

/**
 * The Powertools logger and metrics write JSON lines to stdout/stderr (EMF for metrics): they are
 * collected here, and kept off the test report.
 */
function captureOutput() {
  const lines: string[] = [];
  const collect = (chunk: unknown): boolean => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(collect as typeof process.stdout.write),
    vi.spyOn(process.stderr, 'write').mockImplementation(collect as typeof process.stderr.write),
  ];
  const records = (): Record<string, unknown>[] =>
    lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return {
    records,
    /** The sum of an EMF metric over every published record. */
    metric: (name: string): number =>
      records()
        .filter((record) => '_aws' in record && typeof record[name] === 'number')
        .reduce((sum, record) => sum + (record[name] as number), 0),
    logs: (level: string) => records().filter((record) => record.level === level),
    clear: () => {
      lines.length = 0;
    },
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

/** URL parameters of a webhook as Tencent sends them, signed with `token` at `requestTime` (Unix s). */
function webhookQuery(command: string, token = TOKEN, requestTime = Math.floor(Date.now() / 1000)) {
  return {
    SdkAppid: SDKAPPID,
    CallbackCommand: command,
    contenttype: 'json',
    ClientIP: '203.0.113.7',
    OptPlatform: 'RESTAPI',
    RequestTime: String(requestTime),
    Sign: callbackSign(token, String(requestTime)),
  };
}

/** The proxy event of `POST /tencent-im/callback?<query>` with `body`; `undefined` query values are left out. */
function webhookEvent(body: { CallbackCommand: string }, query: Record<string, string | undefined>) {
  const defined = Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined));
  return {
    ...apiGatewayEvent({ path: '/tencent-im/callback', body }),
    queryStringParameters: defined as Record<string, string>,
  };
}

const nickChange = (account: string, nick: string, eventTime: number) => ({
  CallbackCommand: 'Profile.CallbackPortraitSet',
  Operator_Account: account,
  From_Account: account,
  EventTime: eventTime,
  ProfileItem: [{ Tag: NICK, Value: nick }],
});

async function sendWebhook(
  body: { CallbackCommand: string },
  query: Record<string, string | undefined> = webhookQuery(body.CallbackCommand),
) {
  const result = await callback(webhookEvent(body, query), lambdaContext());
  return { status: result.statusCode, body: JSON.parse(result.body) as Record<string, unknown> };
}

/** The profiles the gateway serves for `accounts`, and how many calls reached Tencent meanwhile. */
async function readProfiles(accounts: string[], tags: string[]) {
  const callsBefore = emulator.calls.length;
  const result = await portraitGet(
    apiGatewayEvent({ body: { To_Account: accounts, TagList: tags } }),
    lambdaContext(),
  );
  const reply = JSON.parse(result.body) as PortraitGetResponse;
  const profiles = Object.fromEntries(
    (reply.UserProfileItem ?? []).map((item) => [
      item.To_Account,
      Object.fromEntries((item.ProfileItem ?? []).map(({ Tag, Value }) => [Tag, Value])),
    ]),
  );
  return { profiles, upstreamCalls: emulator.calls.length - callsBefore };
}

/** The nicknames the gateway serves for `accounts`, and how many calls reached Tencent meanwhile. */
async function readNicks(...accounts: string[]) {
  const { profiles, upstreamCalls } = await readProfiles(accounts, [NICK]);
  const nicks = Object.fromEntries(accounts.map((account) => [account, profiles[account]?.[NICK]]));
  return { nicks, upstreamCalls };
}

const cachedItem = async (account: string) =>
  (
    await dynalite.documentClient.send(
      new GetCommand({ TableName: tableName, Key: { pk: profileKey(TEST_CREDENTIALS.sdkAppId, account) } }),
    )
  ).Item;

const tableItems = async () =>
  (await dynalite.documentClient.send(new ScanCommand({ TableName: tableName }))).Items ?? [];

const setNick = (account: string, nick: string) => emulator.setProfile(account, [{ Tag: NICK, Value: nick }]);

beforeAll(async () => {
  emulator = await startTestEmulator();
  dynalite = await startDynalite();
  tableName = await createTestTable(dynalite.client);
  const env = {
    TIM_SDKAPPID: SDKAPPID,
    TIM_ADMIN_IDENTIFIER: TEST_CREDENTIALS.identifier,
    TIM_SECRET_KEY: TEST_CREDENTIALS.secretKey,
    TIM_CALLBACK_TOKEN: TOKEN,
    TIM_BASE_URL: emulator.url,
    DYNAMODB_ENDPOINT: dynalite.endpoint,
    TABLE_NAME: tableName,
    AWS_REGION: LOOPBACK_AWS_REGION,
    AWS_ACCESS_KEY_ID: LOOPBACK_AWS_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOOPBACK_AWS_CREDENTIALS.secretAccessKey,
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  // The Lambda entry modules build the process's one gateway from the environment at load.
  ({ handler: callback } = (await import('../../functions/callback.ts')) as unknown as { handler: Handler });
  ({ handler: portraitGet } = (await import('../../functions/http.ts')) as unknown as { handler: Handler });
  output = captureOutput();
});

afterEach(() => output.clear());

afterAll(async () => {
  output?.restore();
  const { defaultCallbackGateway, defaultGateway } = await import('../../shared/gateway.ts');
  defaultCallbackGateway().close();
  defaultGateway().close();
  vi.unstubAllEnvs();
  await emulator?.close();
  await dynalite?.close();
});

describe('POST /tencent-im/callback keeps the cache coherent', () => {
  it('serves a changed nickname from the cache at once: no stale value, no upstream call', async () => {
    // Prepare
    setNick('coherent', 'Before');
    const first = await readNicks('coherent');
    const second = await readNicks('coherent');
    setNick('coherent', 'After');

    // Act
    const ack = await sendWebhook(nickChange('coherent', 'After', Date.now()));
    const third = await readNicks('coherent');

    // Assess
    expect(first).toEqual({ nicks: { coherent: 'Before' }, upstreamCalls: 1 });
    expect(second).toEqual({ nicks: { coherent: 'Before' }, upstreamCalls: 0 });
    expect(ack).toEqual({ status: 200, body: { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 } });
    expect(third).toEqual({ nicks: { coherent: 'After' }, upstreamCalls: 0 });
    expect(output.metric('ProfileChangesApplied')).toBe(1);
  });

  it('keeps a change whose webhook lands while a read of that user still waits on Tencent', async () => {
    // Prepare: a cached user; a no-cache read reaches Tencent, which answers slowly with the old nickname
    setNick('inflight', 'Before');
    await readNicks('inflight');
    const settled: string[] = [];
    const callsBefore = emulator.calls.length;
    emulator.setFaults({ latencyMs: 1000, times: 1 });
    const racing = portraitGet(
      apiGatewayEvent({
        body: { To_Account: ['inflight'], TagList: [NICK] },
        headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' },
      }),
      lambdaContext(),
    ).finally(() => settled.push('read'));
    await vi.waitUntil(() => emulator.calls.length > callsBefore, { timeout: 5000, interval: 5 });

    // Act: the nickname changes after Tencent answered; its webhook lands before that answer is cached
    setNick('inflight', 'After');
    const ack = await sendWebhook(nickChange('inflight', 'After', Date.now()));
    settled.push('webhook');
    const raced = JSON.parse((await racing).body) as PortraitGetResponse;
    const after = await readNicks('inflight');

    // Assess
    expect(settled).toEqual(['webhook', 'read']);
    expect(ack.status).toBe(200);
    expect(raced.UserProfileItem?.[0]?.ProfileItem).toEqual([{ Tag: NICK, Value: 'Before' }]);
    expect(after).toEqual({ nicks: { inflight: 'After' }, upstreamCalls: 0 });
  });

  it('keeps the newest value whatever order the events arrive in, replays included', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        // Stamped after the read, so up to 50 s ahead: within the skew allowed to Tencent's clock.
        fc.uniqueArray(fc.integer({ min: 1, max: 50_000 }), { minLength: 1, maxLength: 5 }),
        fc.nat({ max: 4 }),
        async (offsets, replayIndex) => {
          // Prepare
          run += 1;
          const account = `ordered${run}`;
          setNick(account, 'Original');
          await readNicks(account);
          const base = Date.now();
          const events = offsets.map((offset) => nickChange(account, `Nick@${offset}`, base + offset));
          const replay = events[replayIndex % events.length];
          const newest = `Nick@${Math.max(...offsets)}`;

          // Act
          for (const event of [...events, ...(replay ? [replay] : [])]) await sendWebhook(event);
          const after = await readNicks(account);

          // Assess
          expect(after).toEqual({ nicks: { [account]: newest }, upstreamCalls: 0 });
        },
      ),
      { numRuns: 15 },
    );
  });

  it('leaves an account that is not cached uncached, and every other item as it was', async () => {
    // Prepare
    setNick('cached', 'Cached');
    setNick('uncached', 'Upstream');
    await readNicks('cached');
    const before = await tableItems();

    // Act
    const ack = await sendWebhook(nickChange('uncached', 'FromWebhook', Date.now()));
    const afterWebhook = await tableItems();
    const read = await readNicks('uncached');

    // Assess
    expect(ack.body).toEqual({ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 });
    expect(afterWebhook).toEqual(before);
    expect(read).toEqual({ nicks: { uncached: 'Upstream' }, upstreamCalls: 1 });
  });

  it('clears a cached "not found" when the account turns out to exist', async () => {
    // Prepare
    const missing = await readNicks('newcomer');
    setNick('newcomer', 'Newcomer');

    // Act
    await sendWebhook(nickChange('newcomer', 'Newcomer', Date.now()));
    const after = await readNicks('newcomer');

    // Assess
    expect(missing).toEqual({ nicks: { newcomer: undefined }, upstreamCalls: 1 });
    expect(after).toEqual({ nicks: { newcomer: 'Newcomer' }, upstreamCalls: 0 });
  });
});

describe('POST /tencent-im/callback refuses what Tencent did not sign for this app', () => {
  const hourAgo = Math.floor(Date.now() / 1000) - 3600;
  describe.each([
    {
      case: 'an unsigned request',
      query: { ...webhookQuery('Profile.CallbackPortraitSet'), Sign: undefined, RequestTime: undefined },
      status: 401,
      reason: 'unsigned',
    },
    {
      case: 'a wrong signature',
      query: webhookQuery('Profile.CallbackPortraitSet', 'someone-elses-token'),
      status: 401,
      reason: 'bad-signature',
    },
    {
      case: 'a stale request (signed an hour ago)',
      query: webhookQuery('Profile.CallbackPortraitSet', TOKEN, hourAgo),
      status: 401,
      reason: 'stale',
    },
    {
      case: 'another app',
      query: { ...webhookQuery('Profile.CallbackPortraitSet'), SdkAppid: '1400000001' },
      status: 403,
      reason: 'wrong-app',
    },
  ])('$case', ({ query, status, reason }) => {
    it(`answers ${status} in Tencent's shape, counts it, and leaves the cache alone`, async () => {
      // Prepare
      const account = `refused-${reason}`;
      setNick(account, 'Genuine');
      await readNicks(account);
      const before = await cachedItem(account);

      // Act
      const reply = await sendWebhook(nickChange(account, 'Forged', Date.now()), query);
      const after = await readNicks(account);

      // Assess
      expect(reply.status).toBe(status);
      expect(reply.body).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: status === 403 ? 60006 : 60005 });
      expect(output.metric('CallbackRejected')).toBe(1);
      expect(output.logs('WARN')).toContainEqual(expect.objectContaining({ reason }));
      expect(await cachedItem(account)).toEqual(before);
      expect(after).toEqual({ nicks: { [account]: 'Genuine' }, upstreamCalls: 0 });
    });
  });

  it('refuses every webhook with 403 and says why when no callback token is configured', async () => {
    // Prepare
    const { TIM_CALLBACK_TOKEN: _token, ...env } = process.env;
    const gateway = createCallbackGateway(parseConfig(env));
    const { credentials, cache, logger, metrics } = gateway;
    const tokenless = createCallbackHttpHandler({
      receiver: new CallbackReceiver({ credentials, cache, logger, metrics }),
      logger,
      metrics,
    });
    setNick('tokenless', 'Genuine');
    await readNicks('tokenless');
    const before = await cachedItem('tokenless');

    // Act
    const result = await tokenless(
      webhookEvent(
        nickChange('tokenless', 'Forged', Date.now()),
        webhookQuery('Profile.CallbackPortraitSet'),
      ),
      lambdaContext(),
    );
    gateway.close();

    // Assess
    expect(result.statusCode).toBe(403);
    expect(JSON.parse(result.body)).toMatchObject({ ActionStatus: 'FAIL' });
    expect(output.logs('ERROR')).toContainEqual(
      expect.objectContaining({ message: expect.stringContaining('TIM_CALLBACK_TOKEN'), reason: 'no-token' }),
    );
    expect(await cachedItem('tokenless')).toEqual(before);
  });
});

describe("POST /tencent-im/callback does not trust the body, which Tencent's signature does not cover", () => {
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  describe.each([
    {
      case: 'an EventTime two minutes ahead of the gateway clock',
      account: 'ahead-2min',
      eventTime: () => Date.now() + 120_000,
      requestTime: nowSeconds,
      reason: 'event-time-ahead-of-clock',
    },
    {
      case: 'an EventTime a year ahead',
      account: 'ahead-1y',
      eventTime: () => Date.now() + 365 * 86_400_000,
      requestTime: nowSeconds,
      reason: 'event-time-ahead-of-clock',
    },
    {
      case: 'an EventTime 30 s ahead, replayed on a URL signed 50 s ago',
      account: 'replayed',
      eventTime: () => Date.now() + 30_000,
      requestTime: () => nowSeconds() - 50,
      reason: 'event-time-after-request',
    },
  ])('a signed profile change with $case', ({ account, eventTime, requestTime, reason }) => {
    it('is acknowledged and ignored, counted and logged with its reason; the cached value stays', async () => {
      // Prepare
      setNick(account, 'Genuine');
      await readNicks(account);
      const before = await cachedItem(account);
      const query = webhookQuery('Profile.CallbackPortraitSet', TOKEN, requestTime());

      // Act
      const reply = await sendWebhook(nickChange(account, 'Pinned', eventTime()), query);
      const after = await readNicks(account);

      // Assess
      expect(reply).toEqual({ status: 200, body: { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 } });
      expect(output.metric('CallbackIgnored')).toBe(1);
      expect(output.metric('ProfileChangesApplied')).toBe(0);
      expect(output.records()).toContainEqual(expect.objectContaining({ _aws: expect.anything(), reason }));
      expect(output.logs('WARN')).toContainEqual(expect.objectContaining({ reason, account }));
      expect(await cachedItem(account)).toEqual(before);
      expect(after).toEqual({ nicks: { [account]: 'Genuine' }, upstreamCalls: 0 });
    });
  });

  it("caches a change's values that fit their tags, and forgets the cached ones whose new value does not", async () => {
    // Prepare
    const tags = [NICK, LEVEL, GENDER, ROLE];
    emulator.setProfile('typed', [
      { Tag: NICK, Value: 'Before' },
      { Tag: LEVEL, Value: 3 },
      { Tag: GENDER, Value: 'Gender_Type_Female' },
      { Tag: ROLE, Value: 1 },
    ]);
    await readProfiles(['typed'], tags);
    emulator.setProfile('typed', [
      { Tag: NICK, Value: 'After' },
      { Tag: LEVEL, Value: 4 },
      { Tag: GENDER, Value: 'Gender_Type_Female' },
      { Tag: ROLE, Value: 1 },
    ]);
    const change = {
      ...nickChange('typed', 'After', Date.now()),
      ProfileItem: [
        { Tag: NICK, Value: 'After' },
        { Tag: LEVEL, Value: '4' },
        { Tag: GENDER, Value: 'x'.repeat(501) },
        { Tag: ROLE, Value: -1 },
      ],
    };

    // Act
    const reply = await sendWebhook(change);
    const after = await readProfiles(['typed'], tags);

    // Assess
    expect(reply.body).toEqual({ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 });
    expect(after).toEqual({
      profiles: { typed: { [NICK]: 'After', [LEVEL]: 4, [GENDER]: 'Gender_Type_Female', [ROLE]: 1 } },
      upstreamCalls: 1,
    });
    expect(output.metric('ProfileChangesApplied')).toBe(4);
    expect(output.metric('ProfileChangesDropped')).toBe(3);
    const warning = output.logs('WARN').find((record) => Array.isArray(record.dropped));
    expect(warning?.dropped).toEqual(
      [LEVEL, GENDER, ROLE].map((Tag) => ({ Tag, problem: expect.any(String) })),
    );
    expect(JSON.stringify(warning)).not.toContain('x'.repeat(501));
  });
});

describe('POST /tencent-im/callback flooded: one signed URL replayed with a body of many tags', () => {
  /** A signed change of `tags` distinct custom tags (plus the nickname), base64 as API Gateway passes it. */
  const floodEvent = (account: string, tags: number) => {
    const change = nickChange(account, 'Flooded', Date.now());
    const custom = Array.from({ length: tags }, (_, i) => ({ Tag: `Tag_Profile_Custom_f${i}`, Value: 'x' }));
    const body = JSON.stringify({ ...change, ProfileItem: [...change.ProfileItem, ...custom] });
    return {
      bytes: Buffer.byteLength(body),
      event: {
        ...apiGatewayEvent({
          path: '/tencent-im/callback',
          body: Buffer.from(body).toString('base64'),
          isBase64Encoded: true,
        }),
        queryStringParameters: webhookQuery('Profile.CallbackPortraitSet'),
      },
    };
  };
  const customTagsOf = (item: Record<string, unknown> | undefined) =>
    Object.keys(item ?? {}).filter((name) => name.startsWith('t_Tag_Profile_Custom_'));

  describe.each([
    { tags: 1_300, read: true },
    { tags: 10_000, read: false },
    { tags: 20_000, read: false },
    { tags: 180_000, read: false },
  ])('with $tags custom tags', ({ tags, read }) => {
    it("is acknowledged within Tencent's 2 s in bounded memory, a concurrent read unaffected", async () => {
      // Prepare
      const account = `flooded${tags}`;
      setNick(account, 'Before');
      setNick(`reader${tags}`, 'Reader');
      await readNicks(account, `reader${tags}`);
      const { bytes, event } = floodEvent(account, tags);
      const rssBefore = process.memoryUsage().rss;

      // Act
      const started = performance.now();
      const [reply, concurrentRead] = await Promise.all([
        callback(event, lambdaContext()).then((result) => ({ result, ms: performance.now() - started })),
        readNicks(`reader${tags}`).then((nicks) => ({ nicks, ms: performance.now() - started })),
      ]);
      const rssGrowthMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;

      // Assess
      expect(reply.result.statusCode).toBe(200);
      expect(JSON.parse(reply.result.body)).toEqual({ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 });
      expect(reply.ms).toBeLessThan(2_000);
      expect(concurrentRead.nicks).toEqual({ nicks: { [`reader${tags}`]: 'Reader' }, upstreamCalls: 0 });
      expect(concurrentRead.ms).toBeLessThan(2_000);
      expect(rssGrowthMiB).toBeLessThan(64);
      const item = await cachedItem(account);
      if (read) {
        // Under the body limit: the nickname and the first 20 custom tags, the rest ignored and counted.
        expect(bytes).toBeLessThanOrEqual(MAX_CALLBACK_BODY_BYTES);
        expect(customTagsOf(item)).toHaveLength(MAX_CUSTOM_TAGS);
        expect(output.metric('ProfileChangesApplied')).toBe(MAX_CUSTOM_TAGS + 1);
        expect(output.metric('ProfileChangesIgnored')).toBe(tags - MAX_CUSTOM_TAGS);
        expect((await readNicks(account)).nicks).toEqual({ [account]: 'Flooded' });
      } else {
        // Over it: not even parsed; counted as ignored, the cached item as it was.
        expect(bytes).toBeGreaterThan(MAX_CALLBACK_BODY_BYTES);
        expect(customTagsOf(item)).toEqual([]);
        expect(output.records()).toContainEqual(
          expect.objectContaining({ _aws: expect.anything(), reason: 'too-large' }),
        );
        expect(output.metric('CallbackIgnored')).toBe(1);
        expect((await readNicks(account)).nicks).toEqual({ [account]: 'Before' });
      }
    });
  });
});

describe('POST /tencent-im/callback with other commands', () => {
  it('turns Alert.RequestOverLimit into a metric and a warning naming the API and its rate', async () => {
    // Prepare
    const alert = {
      CallbackCommand: 'Alert.RequestOverLimit',
      ServiceName: 'openim',
      Command: 'batchsendmsg',
      Request: 510,
      Limit: 200,
    };

    // Act
    const reply = await sendWebhook(alert);

    // Assess
    expect(reply).toEqual({ status: 200, body: { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 } });
    expect(output.metric('RequestOverLimit')).toBe(1);
    expect(output.logs('WARN')).toContainEqual(
      expect.objectContaining({
        message: expect.stringMatching(/openim\/batchsendmsg.*510.*200/),
        api: 'openim/batchsendmsg',
        request: 510,
        limit: 200,
      }),
    );
  });

  describe('Alert.RequestOverLimit repeated while an API stays near its ceiling', () => {
    /** A receiver on its own clock (for the minute), sending `alert` signed at the clock's time. */
    const receiverAt = (clock: ManualClock) => {
      const logger = createLogger();
      const metrics = createMetrics();
      const receiver = new CallbackReceiver({
        credentials: staticCredentials({ ...TEST_CREDENTIALS, callbackToken: TOKEN }),
        cache: { applyChanges: async () => 0 },
        logger,
        metrics,
        now: clock.now,
      });
      const send = async (alert: Record<string, unknown>) => {
        const body = JSON.stringify({
          CallbackCommand: 'Alert.RequestOverLimit',
          Request: 190,
          Limit: 200,
          ...alert,
        });
        const query = webhookQuery('Alert.RequestOverLimit', TOKEN, Math.floor(clock.now() / 1000));
        const reply = await receiver.receive({ query, bodyBytes: Buffer.byteLength(body), body: () => body });
        metrics.publishStoredMetrics();
        return reply;
      };
      return send;
    };
    const overLimitLines = () =>
      output.logs('WARN').filter((record) => typeof record.api === 'string' && 'alerts' in record);

    it('counts every alert, but logs each API at most once a minute, with the alerts since its last line', async () => {
      // Prepare
      const clock = new ManualClock(Date.now());
      const send = receiverAt(clock);

      // Act: two APIs alerting every second for 90 s
      for (let second = 0; second < 90; second += 1) {
        await send({ ServiceName: 'openim', Command: 'batchsendmsg' });
        await send({ ServiceName: 'profile', Command: 'portrait_get' });
        clock.advance(1_000);
      }

      // Assess
      expect(output.metric('RequestOverLimit')).toBe(180);
      expect(overLimitLines().map(({ api, alerts }) => [api, alerts])).toEqual([
        ['openim/batchsendmsg', 1],
        ['profile/portrait_get', 1],
        ['openim/batchsendmsg', 60],
        ['profile/portrait_get', 60],
      ]);
    });

    it('cuts a Command as long as the largest body read short in the log line and the metric dimension', async () => {
      // Prepare: a 1 MB body is not even read (see the flood above); the largest one read is 64 KiB
      const send = receiverAt(new ManualClock(Date.now()));
      const command = 'c'.repeat(MAX_CALLBACK_BODY_BYTES - 200);

      // Act
      const reply = await send({ ServiceName: 'openim', Command: command });

      // Assess
      expect(reply.statusCode).toBe(200);
      const [line] = overLimitLines();
      expect(line?.api).toMatch(/^openim\/c{64}…\(\d+ more\)$/);
      expect(JSON.stringify(line).length).toBeLessThan(1_024);
      const emf = output
        .records()
        .find((record) => '_aws' in record && typeof record.RequestOverLimit === 'number');
      expect(JSON.stringify(emf).length).toBeLessThan(2_048);
    });
  });

  describe.each([
    { case: 'a command the gateway has no use for', body: { CallbackCommand: 'State.StateChange' } },
    {
      case: 'a profile change it cannot read',
      body: { CallbackCommand: 'Profile.CallbackPortraitSet', From_Account: 'alice' },
    },
  ])('$case', ({ body }) => {
    it('is acknowledged and changes nothing', async () => {
      // Prepare
      const before = await tableItems();

      // Act
      const reply = await sendWebhook(body);

      // Assess
      expect(reply).toEqual({ status: 200, body: { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 } });
      expect(await tableItems()).toEqual(before);
      expect(output.metric('CallbackIgnored')).toBe(1);
    });
  });
});

describe('POST /tencent-im/callback when the secret cannot be read', () => {
  it("answers 503 in Tencent's shape with Retry-After, and counts the refusal", async () => {
    // Prepare
    const unreadable = async () => {
      throw new DependencyError('secret', 'Secrets Manager did not answer');
    };
    const logger = createLogger();
    const metrics = createMetrics();
    const handler = createCallbackHttpHandler({
      receiver: new CallbackReceiver({
        credentials: { get: unreadable, refresh: unreadable },
        cache: { applyChanges: async () => 0 },
        logger,
        metrics,
      }),
      logger,
      metrics,
    });

    // Act
    const result = await handler(
      webhookEvent(nickChange('alice', 'Alice', Date.now()), webhookQuery('Profile.CallbackPortraitSet')),
      lambdaContext(),
    );

    // Assess
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['Retry-After']).toBe('1');
    expect(JSON.parse(result.body)).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 70500 });
    expect(output.metric('CallbackRejected')).toBe(1);
  });
});

describe('CallbackReceiver when DynamoDB does not answer', () => {
  let silent: LoopbackServer;

  beforeAll(async () => {
    silent = await startLoopbackServer(() => {});
  });

  afterAll(async () => {
    await silent.close();
  });

  it('still acknowledges the webhook, giving up on the cache within its budget, and counts the failure', async () => {
    // Prepare
    const clients = loopbackClients(silent.origin);
    const logger = createLogger();
    const metrics = createMetrics();
    const receiver = new CallbackReceiver({
      credentials: staticCredentials({ ...TEST_CREDENTIALS, callbackToken: TOKEN }),
      cache: new DynamoProfileCache({
        client: clients.documentClient,
        tableName,
        cacheTtlSeconds: 600,
        negativeCacheTtlSeconds: 60,
      }),
      logger,
      metrics,
      budgetMs: 100,
    });
    const body = JSON.stringify(nickChange('alice', 'Alice', Date.now()));

    // Act
    const reply = await receiver.receive({
      query: webhookQuery('Profile.CallbackPortraitSet'),
      bodyBytes: Buffer.byteLength(body),
      body: () => body,
    });
    metrics.publishStoredMetrics();
    clients.client.destroy();

    // Assess
    expect(reply).toEqual({ statusCode: 200, body: { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 } });
    expect(output.metric('CallbackCacheUpdateFailed')).toBe(1);
    expect(output.logs('ERROR')).toContainEqual(
      expect.objectContaining({
        error: expect.objectContaining({
          name: 'DependencyError',
          message: expect.stringMatching(/table .*budget/),
        }),
      }),
    );
    expect(silent.requests.length).toBeGreaterThan(0);
  });
});

describe('POST /tencent-im/callback with no value that fits its tag', () => {
  it('removes the older cached value, so the next read fetches the new one once', async () => {
    // Prepare
    setNick('unfit', 'Before');
    const cached = await readNicks('unfit');
    setNick('unfit', 'After');
    const change = {
      ...nickChange('unfit', 'After', Date.now()),
      ProfileItem: [{ Tag: NICK, Value: 'x'.repeat(501) }],
    };

    // Act
    const reply = await sendWebhook(change);
    const first = await readNicks('unfit');
    const second = await readNicks('unfit');

    // Assess
    expect(cached).toEqual({ nicks: { unfit: 'Before' }, upstreamCalls: 1 });
    expect(reply.body).toEqual({ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 });
    expect(first).toEqual({ nicks: { unfit: 'After' }, upstreamCalls: 1 });
    expect(second).toEqual({ nicks: { unfit: 'After' }, upstreamCalls: 0 });
  });
});
