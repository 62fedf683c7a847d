import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
/** SQS's limit of entries per SendMessageBatch call. */
export const MAX_ENTRIES_PER_BATCH = 10;

/**
 * SQS's classic limit on the summed bodies of one SendMessageBatch call (256 KiB; newer queues take
 * 1 MiB). Large results are spread over more calls; one result alone above the queue's limit is
 * refused by SQS, and its request is retried and finally dead-lettered where an operator sees it.
 */
export const MAX_BATCH_BYTES = 256 * 1024;

export interface ResultMessage {
  /** Unique within one publish call; reported back when the message was not accepted. */
  id: string;
  body: string;
}

/** Publishes queue results to the results queue in `SendMessageBatch` calls of at most 10 entries. */
export class ResultsPublisher {
  readonly #client: SQSClient;
  readonly #queueUrl: string;

  constructor(client: SQSClient, queueUrl: string) {
    this.#client = client;
    this.#queueUrl = queueUrl;
  }

  /**
   * Sends every message, the batches in parallel. Never throws: it answers the ids SQS did not
   * accept (the entry or its whole call failed), each with why: SQS's code for the entry or the SDK
   * error's name, never message contents. Each of those requests can then be left for a retry.
   */
  async publish(messages: readonly ResultMessage[]): Promise<Map<string, string>> {
    const failed = new Map<string, string>();
    await Promise.all(
      batchesOf(messages).map(async (batch) => {
        try {
          const reply = await this.#client.send(
            new SendMessageBatchCommand({
              QueueUrl: this.#queueUrl,
              Entries: batch.map(({ id, body }) => ({ Id: id, MessageBody: body })),
            }),
          );
          const accepted = new Set((reply.Successful ?? []).map((entry) => entry.Id));
          for (const entry of reply.Failed ?? []) failed.set(entry.Id ?? '', entry.Code ?? 'Failed');
          for (const { id } of batch)
            if (!accepted.has(id) && !failed.has(id)) failed.set(id, 'NotAcknowledged');
        } catch (error) {
          const reason = error instanceof Error ? error.name : 'UnknownError';
          for (const { id } of batch) failed.set(id, reason);
        }
      }),
    );
    return failed;
  }
}

/** Consecutive batches of at most {@link MAX_ENTRIES_PER_BATCH} entries and {@link MAX_BATCH_BYTES} bytes. */
function batchesOf(messages: readonly ResultMessage[]): ResultMessage[][] {
  const batches: ResultMessage[][] = [];
  let current: ResultMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.body, 'utf8');
    if (current.length === MAX_ENTRIES_PER_BATCH || (current.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
