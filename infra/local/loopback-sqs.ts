import { createHash, randomUUID } from 'node:crypto';
import { AwsJsonEndpoint, type AwsJsonError, type Operation } from './aws-json-endpoint.ts';

export interface SentMessage {
  queueUrl: string;
  messageId: string;
  body: string;
}

/**
 * SQS's `SendMessageBatch` over its real wire protocol (JSON 1.0, `X-Amz-Target:
 * AmazonSQS.SendMessageBatch`, MD5 of each body checked by the SDK). Records what was accepted;
 * can refuse chosen entries or whole calls, or leave entries out of its reply.
 */
export class LoopbackSqs extends AwsJsonEndpoint {
  /** Messages accepted, in order. */
  readonly sent: SentMessage[] = [];
  #refuseEntry: (body: string) => boolean = () => false;
  #leaveOutEntry: (body: string) => boolean = () => false;
  #callFailure: AwsJsonError | undefined;

  private constructor() {
    super('AmazonSQS', 'application/x-amz-json-1.0');
  }

  static async start(): Promise<LoopbackSqs> {
    const endpoint = new LoopbackSqs();
    await endpoint.listen();
    return endpoint;
  }

  /** A queue URL on this endpoint. */
  queueUrl(name = 'results'): string {
    return `${this.url}/000000000000/${name}`;
  }

  /** Entries whose body matches are listed under `Failed` (a server-side fault) instead of sent. */
  refuseEntries(predicate: (body: string) => boolean): void {
    this.#refuseEntry = predicate;
  }

  /**
   * Entries whose body matches are neither sent nor listed in the reply, under `Successful` or
   * `Failed`: a reply that leaves the fate of an entry unknown.
   */
  leaveOutEntries(predicate: (body: string) => boolean): void {
    this.#leaveOutEntry = predicate;
  }

  /** Every call fails whole with this error until `failCalls(undefined)`. */
  failCalls(failure: AwsJsonError | undefined): void {
    this.#callFailure = failure;
  }

  /** The accepted message bodies, parsed. */
  sentBodies<T = Record<string, unknown>>(): T[] {
    return this.sent.map((message) => JSON.parse(message.body) as T);
  }

  protected operation(name: string): Operation | undefined {
    if (name !== 'SendMessageBatch') return undefined;
    return (input) => {
      if (this.#callFailure) return this.#callFailure;
      const queueUrl = String(input.QueueUrl);
      const entries = (input.Entries ?? []) as { Id: string; MessageBody: string }[];
      if (entries.length === 0 || entries.length > 10) {
        return {
          status: 400,
          type: entries.length === 0 ? 'EmptyBatchRequest' : 'TooManyEntriesInBatchRequest',
          message: `a batch holds 1 to 10 entries, got ${entries.length}`,
        };
      }
      const Successful: unknown[] = [];
      const Failed: unknown[] = [];
      for (const entry of entries) {
        if (this.#leaveOutEntry(entry.MessageBody)) continue;
        if (this.#refuseEntry(entry.MessageBody)) {
          Failed.push({
            Id: entry.Id,
            SenderFault: false,
            Code: 'InternalError',
            Message: 'refused by the test',
          });
          continue;
        }
        const messageId = randomUUID();
        this.sent.push({ queueUrl, messageId, body: entry.MessageBody });
        Successful.push({
          Id: entry.Id,
          MessageId: messageId,
          MD5OfMessageBody: createHash('md5').update(entry.MessageBody, 'utf8').digest('hex'),
        });
      }
      return { status: 200, body: { Successful, Failed } };
    };
  }
}
