import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StaticAwsCredentials } from '../../shared/aws-client-settings.ts';

/** Any credentials do: the loopback endpoints below check the protocol, not the signature. */
export const LOOPBACK_AWS_CREDENTIALS: StaticAwsCredentials = {
  accessKeyId: 'AKIDLOOPBACK',
  secretAccessKey: 'loopback-secret-access-key',
};

export const LOOPBACK_AWS_REGION = 'us-east-1';

interface AwsJsonError {
  status: number;
  /** The `__type` of AWS's JSON protocols, e.g. `ResourceNotFoundException`. */
  type: string;
  message: string;
}

type Operation = (input: Record<string, unknown>) => { status: number; body: unknown } | AwsJsonError;

const isError = (reply: unknown): reply is AwsJsonError =>
  typeof reply === 'object' && reply !== null && 'type' in reply;

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

/**
 * A loopback HTTP server speaking one of AWS's JSON protocols: `POST /` with
 * `X-Amz-Target: <prefix>.<Operation>` and a JSON body, answered by `operations[Operation]`.
 */
abstract class AwsJsonEndpoint {
  readonly #server: Server;
  readonly #contentType: string;
  readonly #targetPrefix: string;
  /** Every call received, by operation name, in arrival order. */
  readonly calls: string[] = [];
  /** Delay before each answer, e.g. to let a caller's deadline pass first. */
  latencyMs = 0;

  protected constructor(targetPrefix: string, contentType: string) {
    this.#targetPrefix = targetPrefix;
    this.#contentType = contentType;
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        response.writeHead(500).end(String(error));
      });
    });
  }

  protected abstract operation(name: string): Operation | undefined;

  /** `http://127.0.0.1:<port>`: give it to the SDK client as its `endpoint`. */
  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  protected async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = String(request.headers['x-amz-target'] ?? '');
    const name = target.startsWith(`${this.#targetPrefix}.`)
      ? target.slice(this.#targetPrefix.length + 1)
      : '';
    const input = await readJson(request);
    this.calls.push(name);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const operation = this.operation(name);
    const reply = operation
      ? operation(input)
      : { status: 400, type: 'UnknownOperationException', message: `unknown operation ${target}` };
    const headers = { 'content-type': this.#contentType, 'x-amzn-requestid': randomUUID() };
    if (isError(reply)) {
      response
        .writeHead(reply.status, headers)
        .end(JSON.stringify({ __type: reply.type, message: reply.message }));
    } else {
      response.writeHead(reply.status, headers).end(JSON.stringify(reply.body));
    }
  }
}

/**
 * Secrets Manager's `GetSecretValue` over its real wire protocol (JSON 1.1,
 * `X-Amz-Target: secretsmanager.GetSecretValue`), holding secrets a test sets and changes.
 */
export class LoopbackSecretsManager extends AwsJsonEndpoint {
  readonly #secrets = new Map<string, { value: string | undefined; version: string }>();
  #failure: AwsJsonError | undefined;

  private constructor() {
    super('secretsmanager', 'application/x-amz-json-1.1');
  }

  static async start(): Promise<LoopbackSecretsManager> {
    const endpoint = new LoopbackSecretsManager();
    await endpoint.listen();
    return endpoint;
  }

  /** Stores (or rotates) a secret; `undefined` stores a secret with no SecretString (binary only). */
  setSecret(secretId: string, value: string | undefined): void {
    this.#secrets.set(secretId, { value, version: randomUUID() });
  }

  /** How many GetSecretValue calls arrived. */
  get reads(): number {
    return this.calls.filter((name) => name === 'GetSecretValue').length;
  }

  /** Every call fails with this error until `failWith(undefined)`. */
  failWith(failure: AwsJsonError | undefined): void {
    this.#failure = failure;
  }

  protected operation(name: string): Operation | undefined {
    if (name !== 'GetSecretValue') return undefined;
    return (input) => {
      if (this.#failure) return this.#failure;
      const secretId = String(input.SecretId);
      const secret = this.#secrets.get(secretId);
      if (!secret) {
        return {
          status: 400,
          type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        };
      }
      return {
        status: 200,
        body: {
          ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${secretId}-AbCdEf`,
          Name: secretId,
          VersionId: secret.version,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: Math.floor(Date.now() / 1000),
          ...(secret.value === undefined ? { SecretBinary: 'AAEC' } : { SecretString: secret.value }),
        },
      };
    };
  }
}

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
