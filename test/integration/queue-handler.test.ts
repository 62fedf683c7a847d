import type { SQSBatchResponse } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../shared/gateway.ts';
import { createPortraitQueueHandler } from '../../shared/queue/portrait-queue-handler.ts';
import { DynamoRateLimiter } from '../../shared/ratelimit/dynamo-rate-limiter.ts';
import type { PortraitGetResponse } from '../../shared/tencent/portrait-types.ts';
import { CapturedOutput } from '../support/captured-output.ts';
import { TEST_CREDENTIALS } from '../support/emulator-factory.ts';
import { GatewayHarness } from '../support/gateway-harness.ts';
import { lambdaContext, type SqsMessageInput, sqsEvent } from '../support/lambda-events.ts';

const NICK = 'Tag_Profile_IM_Nick';
const TEAM = 'Tag_Profile_Custom_Team';

type Result = PortraitGetResponse & { CorrelationId?: string };
type Handler = ReturnType<typeof createPortraitQueueHandler>;

/** `count` demo accounts from `user<first>` on. */
const users = (first: number, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `user${String(first + i).padStart(4, '0')}`);

let harness: GatewayHarness;
let gateway: Gateway;
let handler: Handler;
const output = new CapturedOutput();

async function consume(messages: SqsMessageInput[], remainingMs = 10_000): Promise<SQSBatchResponse> {
  return handler(sqsEvent(messages), lambdaContext({ remainingMs }));
}

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
  harness.sqs.refuseEntries(() => false);
  harness.sqs.failCalls(undefined);
  output.clear();
});

afterAll(async () => {
  output.stop();
  await harness.close();
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
      1_500,
    );

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'uncached' }] });
    expect(harness.emulator.calls.length).toBe(callsBefore);
    expect([...resultsSince(sentBefore).keys()]).toEqual(['cached']);
    expect(output.logs('message left for a retry')).toEqual([
      expect.objectContaining({ messageId: 'uncached', reason: 'NoSlotError 60007' }),
    ]);
  });
});

/**
 * Another instance takes every slot of every window of the next `durationMs`: the real limiter,
 * on the same table, run with its clock set to each window in turn.
 */
async function takeEverySlot(durationMs: number): Promise<void> {
  const { windowMs, budgetPerWindow } = gateway.limiter.budget;
  const first = Math.floor(Date.now() / windowMs) * windowMs;
  for (let start = first; start < Date.now() + durationMs; start += windowMs) {
    const other = new DynamoRateLimiter({
      client: harness.dynalite.documentClient,
      tableName: harness.tableName,
      ceilingPerSecond: gateway.config.rateLimitPerSecond,
      now: () => start,
    });
    // Whatever this window still holds (the gateway may have used some of it already).
    while ((await other.acquire(TEST_CREDENTIALS.sdkAppId, budgetPerWindow, start + windowMs)).granted > 0);
  }
}
