import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { AWS_CLIENT_TIMEOUTS } from '../aws-client-settings.ts';
import { SQS_MAX_MESSAGE_BYTES } from './sqs-message-size.ts';

/** SQS's limit of entries per SendMessageBatch call. */
export const MAX_ENTRIES_PER_BATCH = 10;

/**
 * The longest one publish may take: every attempt the SQS client makes (aws-client-settings.ts),
 * each up to its request timeout (2 × 3 s). The batches are sent in parallel, so this bounds a
 * whole publish; the consumer keeps it back from the time it gives the service.
 */
export const PUBLISH_BUDGET_MS = AWS_CLIENT_TIMEOUTS.maxAttempts * AWS_CLIENT_TIMEOUTS.requestTimeoutMs;

export interface ResultMessage {
  /** Unique within one publish call; reported back when the message was not accepted. */
  id: string;
  body: string;
}

export interface ResultsPublisherOptions {
  /** The results queue's largest message body in bytes. Default {@link SQS_MAX_MESSAGE_BYTES}. */
  maxMessageBytes?: number;
}

export interface PublishOptions {
  /** Epoch ms at which calls still in flight are aborted and their entries reported. Default: none. */
  deadlineMs?: number;
}

/** Publishes queue results to the results queue in `SendMessageBatch` calls of at most 10 entries. */
export class ResultsPublisher {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  /** A body above this many bytes (UTF-8) is refused by the queue: check it before publishing. */
  readonly maxMessageBytes: number;

  constructor(client: SQSClient, queueUrl: string, options: ResultsPublisherOptions = {}) {
    this.#client = client;
    this.#queueUrl = queueUrl;
    this.maxMessageBytes = options.maxMessageBytes ?? SQS_MAX_MESSAGE_BYTES;
  }

  /**
   * Sends every message, the batches in parallel, each batch's bodies summing to at most
   * {@link maxMessageBytes} (SQS caps a batch as it caps one message). Never throws: it answers the
   * ids SQS did not accept (the entry or its whole call failed, or the deadline cut the call short),
   * each with why: SQS's code for the entry or the SDK error's name, never message contents. Each
   * of those requests can then be left for a retry.
   */
  async publish(
    messages: readonly ResultMessage[],
    options: PublishOptions = {},
  ): Promise<Map<string, string>> {
    const failed = new Map<string, string>();
    const abortSignal =
      options.deadlineMs === undefined
        ? undefined
        : AbortSignal.timeout(Math.max(0, options.deadlineMs - Date.now()));
    await Promise.all(
      batchesOf(messages, this.maxMessageBytes).map(async (batch) => {
        try {
          const reply = await this.#client.send(
            new SendMessageBatchCommand({
              QueueUrl: this.#queueUrl,
              Entries: batch.map(({ id, body }) => ({ Id: id, MessageBody: body })),
            }),
            { abortSignal },
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

/** Consecutive batches of at most {@link MAX_ENTRIES_PER_BATCH} entries and `maxBytes` summed bytes. */
function batchesOf(messages: readonly ResultMessage[], maxBytes: number): ResultMessage[][] {
  const batches: ResultMessage[][] = [];
  let current: ResultMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.body, 'utf8');
    if (current.length === MAX_ENTRIES_PER_BATCH || (current.length > 0 && bytes + size > maxBytes)) {
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
