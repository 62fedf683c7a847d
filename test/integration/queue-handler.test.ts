import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type SqsMessageInput, sqsEvent } from '../../infra/local/sqs-event.ts';
import { awsClientOptions } from '../../shared/aws-client-settings.ts';
import type { QueueGateway } from '../../shared/gateway.ts';
import { DEADLINE_MARGIN_MS } from '../../shared/invocation-deadline.ts';
import { createPortraitQueueHandler } from '../../shared/queue/portrait-queue-handler.ts';
import { PUBLISH_BUDGET_MS, ResultsPublisher } from '../../shared/queue/results-publisher.ts';
import { DynamoRateLimiter } from '../../shared/ratelimit/dynamo-rate-limiter.ts';
import type { PortraitGetResponse } from '../../shared/tencent/portrait-types.ts';
import { LOOPBACK_AWS_CREDENTIALS, LOOPBACK_AWS_REGION } from '../support/aws-endpoints.ts';
import { CapturedOutput } from '../support/captured-output.ts';
import { TEST_CREDENTIALS } from '../support/emulator-factory.ts';
import { GatewayHarness } from '../support/gateway-harness.ts';
import { lambdaContext } from '../support/lambda-events.ts';

const NICK = 'Tag_Profile_IM_Nick';
const TEAM = 'Tag_Profile_Custom_Team';

type Result = PortraitGetResponse & { CorrelationId?: string; StaleAccounts?: string[] };
type Handler = ReturnType<typeof createPortraitQueueHandler>;

/** `count` demo accounts from `user<first>` on. */
const users = (first: number, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `user${String(first + i).padStart(4, '0')}`);

let harness: GatewayHarness;
let gateway: QueueGateway;
let handler: Handler;
const output = new CapturedOutput();

async function consume(messages: SqsMessageInput[], remainingMs = 10_000): Promise<SQSBatchResponse> {
  return handler(sqsEvent(messages), lambdaContext({ remainingMs }));
}

/**
 * A Lambda context whose remaining time runs down with the clock, as a real one does: what it
 * answers after the handler returned tells whether the invocation would have timed out.
 */
function runningContext(remainingMs: number): Context {
  const endsAt = Date.now() + remainingMs;
  return { ...lambdaContext(), getRemainingTimeInMillis: () => endsAt - Date.now() };
}

/** Sum of one metric over the EMF documents written since the last `output.clear()`. */
const metricTotal = (name: string): number => output.metric(name).reduce((sum, value) => sum + value, 0);

/** What the results queue received from `from` on, by CorrelationId. */
function resultsSince(from: number): Map<string | undefined, Result> {
  const results = harness.sqs.sentBodies<Result>().slice(from);
  return new Map(results.map((result) => [result.CorrelationId, result]));
}

beforeAll(async () => {
  harness = await GatewayHarness.start();
  gateway = harness.gateway();
  handler = createPortraitQueueHandler(gateway);
  output.start();
});

afterEach(() => {
  harness.emulator.clearFaults();
  harness.sqs.latencyMs = 0;
  harness.sqs.refuseEntries(() => false);
  harness.sqs.failCalls(undefined);
  output.clear();
});

afterAll(async () => {
  output.stop();
  sqsClient?.destroy();
  await harness.close();
});

// Before the main block: its last test fills the limiter's windows for the tests after it.
describe('the SQS consumer when a coalesced group fails transiently', () => {
  it('leaves its messages for a retry without each of them calling Tencent again', async () => {
    harness.emulator.setFaults({ httpStatus: 502 });
    const callsBefore = harness.emulator.calls.length;

    const response = await consume([
      { messageId: 'p', body: { To_Account: users(951, 2), TagList: [NICK] } },
      { messageId: 'q', body: { To_Account: users(953, 2), TagList: [NICK] } },
    ]);

    const calls = harness.emulator.calls.slice(callsBefore);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(['p', 'q']);
    // Only the group's own attempts, each for all 4 accounts: no message tried Tencent alone.
    expect(calls.length).toBeGreaterThan(0);
    expect(calls).toEqual(calls.map(() => expect.objectContaining({ accounts: 4, outcome: 'http-status' })));
  });
});

describe('the SQS consumer and what SendMessageBatch acknowledges', () => {
  afterEach(() => harness.sqs.leaveOutEntries(() => false));

  it('leaves a message whose result the reply lists neither as successful nor as failed for a retry', async () => {
    harness.sqs.leaveOutEntries((body) => body.includes('"CorrelationId":"unlisted"'));
    const sentBefore = harness.sqs.sent.length;

    const response = await consume([
      { messageId: 'listed', body: { To_Account: users(955, 2), TagList: [NICK], CorrelationId: 'listed' } },
      {
        messageId: 'unlisted',
        body: { To_Account: users(957, 2), TagList: [NICK], CorrelationId: 'unlisted' },
      },
    ]);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'unlisted' }] });
    expect([...resultsSince(sentBefore).keys()]).toEqual(['listed']);
    expect(output.logs('result not accepted by the results queue; message left for a retry')).toEqual([
      expect.objectContaining({ messageId: 'unlisted', reason: 'NotAcknowledged' }),
    ]);
  });
});

describe('the SQS consumer', () => {
  it('coalesces 10 messages of 10 accounts into exactly 1 upstream call and 10 results', async () => {
    const messages = Array.from({ length: 10 }, (_, i) => ({
      messageId: `m${i}`,
      body: {
        To_Account: users(101 + i * 10, 10),
        // Half name the tags in the other order: the same set, so still one call.
        TagList: i % 2 === 0 ? [NICK, TEAM] : [TEAM, NICK],
        CorrelationId: `c${i}`,
      },
    }));
    const callsBefore = harness.emulator.calls.length;
    const sentBefore = harness.sqs.sent.length;

    const response = await consume(messages);

    const calls = harness.emulator.calls.slice(callsBefore);
    const results = resultsSince(sentBefore);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(calls).toEqual([expect.objectContaining({ accounts: 100, outcome: 0 })]);
    expect(results.size).toBe(10);
    for (const [i, message] of messages.entries()) {
      const result = results.get(`c${i}`);
      expect(result).toMatchObject({ ActionStatus: 'OK', ErrorCode: 0 });
      expect(result?.UserProfileItem?.map((item) => item.To_Account)).toEqual(message.body.To_Account);
      for (const item of result?.UserProfileItem ?? []) {
        expect(item.ProfileItem?.map((profile) => profile.Tag)).toEqual(message.body.TagList);
      }
    }
  });

  it('fills one call with 100 messages of one account each, and publishes 100 correlated results', async () => {
    const accounts = users(801, 100);
    const messages = accounts.map((account, i) => ({
      messageId: `one-${i}`,
      body: { To_Account: [account], TagList: [NICK], CorrelationId: `one-${i}` },
    }));
    const callsBefore = harness.emulator.calls.length;
    const sentBefore = harness.sqs.sent.length;

    const response = await consume(messages);

    const results = resultsSince(sentBefore);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(harness.emulator.calls.slice(callsBefore)).toEqual([
      expect.objectContaining({ accounts: 100, outcome: 0 }),
    ]);
    expect(results.size).toBe(100);
    for (const [i, account] of accounts.entries())
      expect(results.get(`one-${i}`)?.UserProfileItem).toEqual([
        expect.objectContaining({ To_Account: account, ResultCode: 0 }),
      ]);
  });

  it('answers a message from stale values when Tencent fails, listing them, and retries those it cannot serve', async () => {
    // A TTL of 0: whatever this instance stores is stale at once, and served only when Tencent fails.
    const staleHandler = createPortraitQueueHandler(harness.gateway({ CACHE_TTL_SECONDS: '0' }));
    const held = users(901, 3);
    await staleHandler(sqsEvent([{ body: { To_Account: held, TagList: [NICK] } }]), lambdaContext());
    harness.emulator.setFaults({ httpStatus: 502 });
    const sentBefore = harness.sqs.sent.length;

    const response = await staleHandler(
      sqsEvent([
        { messageId: 'held', body: { To_Account: held, TagList: [NICK], CorrelationId: 'held' } },
        {
          messageId: 'partly',
          body: {
            To_Account: [held[0] as string, ...users(904, 1)],
            TagList: [NICK],
            CorrelationId: 'partly',
          },
        },
      ]),
      lambdaContext({ remainingMs: 10_000 }),
    );

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'partly' }] });
    const result = resultsSince(sentBefore).get('held');
    expect(result).toMatchObject({ ActionStatus: 'OK', StaleAccounts: held });
    expect(result?.UserProfileItem?.map((item) => item.ResultCode)).toEqual([0, 0, 0]);
    expect(metricTotal('StaleServed')).toBeGreaterThanOrEqual(3);
  });

  it('answers poison messages with error results and serves the rest of their batch', async () => {
    const sentBefore = harness.sqs.sent.length;

    const response = await consume([
      { messageId: 'bad-json', body: '{"To_Account": ["alice"' },
      { messageId: 'no-accounts', body: { To_Account: [], TagList: [NICK], CorrelationId: 'no-accounts' } },
      { messageId: 'bad-tag', body: { To_Account: ['alice'], TagList: ['Nick'], CorrelationId: 'bad-tag' } },
      {
        messageId: 'unknown-tag',
        body: { To_Account: ['alice'], TagList: ['Tag_Profile_Custom_Nope'], CorrelationId: 'unknown-tag' },
      },
      { messageId: 'good', body: { To_Account: ['alice', 'bob'], TagList: [NICK], CorrelationId: 'good' } },
    ]);

    const results = resultsSince(sentBefore);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(results.size).toBe(5);
    expect(results.get(undefined)).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 60003 });
    expect(results.get('no-accounts')).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 40002 });
    expect(results.get('bad-tag')).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 40001 });
    expect(results.get('bad-tag')?.ErrorInfo).toContain('TagList[0]');
    expect(results.get('unknown-tag')).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 40009 });
    expect(results.get('good')).toMatchObject({ ActionStatus: 'OK' });
    expect(results.get('good')?.UserProfileItem?.map((item) => item.To_Account)).toEqual(['alice', 'bob']);
  });

  it('leaves a message whose result the results queue refused for a retry, which then succeeds', async () => {
    harness.sqs.refuseEntries((body) => body.includes('"CorrelationId":"refused"'));
    const messages = [
      {
        messageId: 'accepted',
        body: { To_Account: users(401, 3), TagList: [NICK], CorrelationId: 'accepted' },
      },
      {
        messageId: 'refused',
        body: { To_Account: users(404, 3), TagList: [NICK], CorrelationId: 'refused' },
      },
    ];
    const sentBefore = harness.sqs.sent.length;

    const first = await consume(messages);
    harness.sqs.refuseEntries(() => false);
    const callsBeforeRetry = harness.emulator.calls.length;
    const retry = await consume([messages[1] as SqsMessageInput]);

    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: 'refused' }] });
    expect(retry).toEqual({ batchItemFailures: [] });
    expect([...resultsSince(sentBefore).keys()]).toEqual(['accepted', 'refused']);
    expect(harness.emulator.calls.length).toBe(callsBeforeRetry);
  });

  it('when the results queue fails whole, reports every message without throwing', async () => {
    harness.sqs.failCalls({ status: 400, type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'gone' });

    const response = await consume([
      { messageId: 'a', body: { To_Account: ['carol'], TagList: [NICK] } },
      { messageId: 'b', body: '{' },
    ]);

    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(['a', 'b']);
  });

  it('leaves messages for a retry when Tencent fails transiently, publishing nothing for them', async () => {
    harness.emulator.setFaults({ httpStatus: 502 });
    const sentBefore = harness.sqs.sent.length;

    const response = await consume([
      { messageId: 'x', body: { To_Account: users(501, 2), TagList: [NICK] } },
      { messageId: 'y', body: { To_Account: users(503, 2), TagList: [NICK] } },
    ]);

    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(['x', 'y']);
    expect(harness.sqs.sent.length).toBe(sentBefore);
    // Every slot was granted: Tencent failed, not the ceiling. Each account is counted once, though
    // every message was tried a second time from the cache.
    expect(metricTotal('SlotDenied')).toBe(0);
    expect(metricTotal('CacheMisses')).toBe(4);
    expect(metricTotal('UpstreamCalls')).toBeGreaterThan(0);
  });

  it('answers a message whose result is too large for one queue message with a 40001 error result, not a retry', async () => {
    const results = new ResultsPublisher(loopbackSqsClient(), harness.sqs.queueUrl(), {
      maxMessageBytes: 4_096,
    });
    const smallLimitHandler = createPortraitQueueHandler({ ...gateway, results });
    const largeAccounts = users(601, 40);
    const sentBefore = harness.sqs.sent.length;

    const response = await smallLimitHandler(
      sqsEvent([
        {
          messageId: 'large',
          body: { To_Account: largeAccounts, TagList: [NICK, TEAM], CorrelationId: 'large' },
        },
        {
          messageId: 'small',
          body: { To_Account: users(641, 3), TagList: [NICK, TEAM], CorrelationId: 'small' },
        },
      ]),
      lambdaContext(),
    );
    const refusal = resultsSince(sentBefore).get('large');
    const fitting = Number(/at most (\d+) fit for these tags/.exec(refusal?.ErrorInfo ?? '')?.[1]);
    const advisedBefore = harness.sqs.sent.length;
    const advised = await smallLimitHandler(
      sqsEvent([
        {
          messageId: 'advised',
          body: {
            To_Account: largeAccounts.slice(0, fitting),
            TagList: [NICK, TEAM],
            CorrelationId: 'advised',
          },
        },
      ]),
      lambdaContext(),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect(refusal).toEqual({
      ActionStatus: 'FAIL',
      ErrorCode: 40001,
      ErrorInfo: expect.stringMatching(/too large for one queue message .*send fewer To_Account/),
      ErrorDisplay: '',
      CorrelationId: 'large',
    });
    expect(resultsSince(sentBefore).get('small')?.UserProfileItem).toHaveLength(3);
    // Following the advice works: that many of the same accounts come back in one message.
    expect(fitting).toBeGreaterThan(0);
    expect(fitting).toBeLessThan(largeAccounts.length);
    expect(advised).toEqual({ batchItemFailures: [] });
    expect(resultsSince(advisedBefore).get('advised')).toMatchObject({ ActionStatus: 'OK' });
    expect(resultsSince(advisedBefore).get('advised')?.UserProfileItem).toHaveLength(fitting);
  });

  it('with little time left, gives up on Tencent in time to publish what it served and answers before its timeout', async () => {
    const cachedAccounts = users(701, 3);
    await consume([{ body: { To_Account: cachedAccounts, TagList: [NICK] } }]);
    // Tencent never answers: the service's calls run to its deadline.
    harness.emulator.setFaults({ hang: true });
    // A slow results queue, yet within what the SQS client allows one attempt.
    harness.sqs.latencyMs = 2_000;
    const context = runningContext(DEADLINE_MARGIN_MS + PUBLISH_BUDGET_MS + 500);
    const sentBefore = harness.sqs.sent.length;

    const response = await handler(
      sqsEvent([
        {
          messageId: 'cached',
          body: { To_Account: cachedAccounts, TagList: [NICK], CorrelationId: 'cached' },
        },
        {
          messageId: 'uncached',
          body: { To_Account: users(711, 3), TagList: [NICK], CorrelationId: 'uncached' },
        },
      ]),
      context,
    );

    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'uncached' }] });
    expect([...resultsSince(sentBefore).keys()]).toEqual(['cached']);
  });

  it('cuts short a publish still running at its deadline and leaves its messages for a retry', async () => {
    const cachedAccounts = users(721, 3);
    await consume([{ body: { To_Account: cachedAccounts, TagList: [NICK] } }]);
    // Slower than the time left to publish in.
    harness.sqs.latencyMs = 2_500;
    const context = runningContext(DEADLINE_MARGIN_MS + 1_000);
    const sentBefore = harness.sqs.sent.length;

    const response = await handler(
      sqsEvent([{ messageId: 'cached', body: { To_Account: cachedAccounts, TagList: [NICK] } }]),
      context,
    );
    const remainingAtAnswer = context.getRemainingTimeInMillis();
    // The queue may still store what it was sent before the cut: that copy is a duplicate the retry repeats.
    await vi.waitFor(() => expect(harness.sqs.sent.length).toBe(sentBefore + 1), { timeout: 5_000 });

    expect(remainingAtAnswer).toBeGreaterThan(0);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'cached' }] });
    expect(output.logs('result not accepted by the results queue; message left for a retry')).toEqual([
      expect.objectContaining({ messageId: 'cached', reason: 'AbortError' }),
    ]);
  });

  it('refuses to start without a results queue', () => {
    const withoutQueue = harness.gateway({ RESULTS_QUEUE_URL: '' });

    expect(() => createPortraitQueueHandler(withoutQueue)).toThrow(/RESULTS_QUEUE_URL/);
  });

  // Last: the windows it fills would hold up the tests after it.
  it('with every call slot taken, reports only the messages it could not serve', async () => {
    const cachedAccounts = users(301, 5);
    await consume([{ body: { To_Account: cachedAccounts, TagList: [NICK] } }]);
    await takeEverySlot(2_000);
    const callsBefore = harness.emulator.calls.length;
    const sentBefore = harness.sqs.sent.length;
    output.clear();

    const response = await consume(
      [
        {
          messageId: 'cached',
          body: { To_Account: cachedAccounts, TagList: [NICK], CorrelationId: 'cached' },
        },
        {
          messageId: 'uncached',
          body: { To_Account: users(311, 5), TagList: [NICK], CorrelationId: 'uncached' },
        },
      ],
      // Half a second to wait for a slot, after the time kept back for publishing.
      DEADLINE_MARGIN_MS + PUBLISH_BUDGET_MS + 500,
    );

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'uncached' }] });
    expect(harness.emulator.calls.length).toBe(callsBefore);
    expect([...resultsSince(sentBefore).keys()]).toEqual(['cached']);
    expect(output.logs('message left for a retry')).toEqual([
      expect.objectContaining({ messageId: 'uncached', reason: 'NoSlotError 60007' }),
    ]);
    // One denial: the group's. The cache-only second tries of its messages are not counted.
    expect(metricTotal('SlotDenied')).toBe(1);
  });
});

let sqsClient: SQSClient | undefined;

/** An SQS client of the consumer's own settings, sending to the harness's loopback SQS. */
function loopbackSqsClient(): SQSClient {
  sqsClient ??= new SQSClient(
    awsClientOptions({
      endpoint: harness.sqs.url,
      region: LOOPBACK_AWS_REGION,
      credentials: LOOPBACK_AWS_CREDENTIALS,
    }),
  );
  return sqsClient;
}

/**
 * Another instance takes every slot of the next `durationMs`: the real limiter, on the same table,
 * its clock that far ahead, takes one slot; the shared schedule is then booked until then.
 */
async function takeEverySlot(durationMs: number): Promise<void> {
  const other = new DynamoRateLimiter({
    client: harness.dynalite.documentClient,
    tableName: harness.tableName,
    ceilingPerSecond: gateway.config.rateLimitPerSecond,
    now: () => Date.now() + durationMs,
  });
  const slots = other.join(TEST_CREDENTIALS.sdkAppId, 1, Date.now() + 2 * durationMs);
  await slots.next();
  slots.close();
}
