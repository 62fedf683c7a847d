import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LoopbackSqs } from '../../../infra/local/loopback-sqs.ts';
import { awsClientOptions } from '../../../shared/aws-client-settings.ts';
import {
  MAX_ENTRIES_PER_BATCH,
  type ResultMessage,
  ResultsPublisher,
} from '../../../shared/queue/results-publisher.ts';
import { SQS_MAX_MESSAGE_BYTES } from '../../../shared/queue/sqs-message-size.ts';
import { LOOPBACK_AWS_CREDENTIALS, LOOPBACK_AWS_REGION } from '../../support/aws-endpoints.ts';

let sqs: LoopbackSqs;
let client: SQSClient;

/** `count` results of `bytes` bytes each, ids `r0`, `r1`, … */
const resultsOf = (count: number, bytes: number): ResultMessage[] =>
  Array.from({ length: count }, (_, i) => ({ id: `r${i}`, body: `${i}`.padEnd(bytes, 'x') }));

beforeAll(async () => {
  sqs = await LoopbackSqs.start();
  client = new SQSClient(
    awsClientOptions({
      endpoint: sqs.url,
      region: LOOPBACK_AWS_REGION,
      credentials: LOOPBACK_AWS_CREDENTIALS,
    }),
  );
});

afterEach(() => {
  sqs.latencyMs = 0;
  sqs.calls.length = 0;
  sqs.sent.length = 0;
});

afterAll(async () => {
  client.destroy();
  await sqs.close();
});

describe('ResultsPublisher', () => {
  it('takes the largest SQS message as its limit unless told otherwise', () => {
    expect(new ResultsPublisher(client, sqs.queueUrl()).maxMessageBytes).toBe(SQS_MAX_MESSAGE_BYTES);
    expect(new ResultsPublisher(client, sqs.queueUrl(), { maxMessageBytes: 4_096 }).maxMessageBytes).toBe(
      4_096,
    );
  });

  describe.each([
    ['small results', 25, 10, SQS_MAX_MESSAGE_BYTES, Math.ceil(25 / MAX_ENTRIES_PER_BATCH)],
    ['results of which two fill the limit', 5, 3_000, 8_192, 3],
    ['results each at the limit', 3, 4_096, 4_096, 3],
  ])('%s', (_case, count, bytes, maxMessageBytes, calls) => {
    it(`sends all ${count} in ${calls} SendMessageBatch calls`, async () => {
      const publisher = new ResultsPublisher(client, sqs.queueUrl(), { maxMessageBytes });
      const results = resultsOf(count, bytes);

      const failed = await publisher.publish(results);

      expect(failed.size).toBe(0);
      expect(sqs.calls).toEqual(Array(calls).fill('SendMessageBatch'));
      expect(sqs.sent.map((message) => message.body)).toEqual(
        expect.arrayContaining(results.map((result) => result.body)),
      );
      expect(sqs.sent).toHaveLength(count);
    });
  });

  it('cuts calls still running at the deadline short and reports their entries, without throwing', async () => {
    const publisher = new ResultsPublisher(client, sqs.queueUrl());
    sqs.latencyMs = 1_000;

    const failed = await publisher.publish(resultsOf(12, 10), { deadlineMs: Date.now() + 100 });
    // The endpoint still finishes the calls it received; let it, before the next test.
    await vi.waitFor(() => expect(sqs.sent).toHaveLength(12), { timeout: 5_000 });

    expect(failed).toEqual(new Map(resultsOf(12, 10).map(({ id }) => [id, 'AbortError'])));
  });
});
