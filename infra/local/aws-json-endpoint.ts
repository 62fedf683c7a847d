import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An AWS JSON-protocol error reply: HTTP status, `__type` and message. */
export interface AwsJsonError {
  status: number;
  /** The `__type` of AWS's JSON protocols, e.g. `ResourceNotFoundException`. */
  type: string;
  message: string;
}

/** One operation of an endpoint: its input to its reply or error. */
export type Operation = (input: Record<string, unknown>) => { status: number; body: unknown } | AwsJsonError;

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
 * `X-Amz-Target: <prefix>.<Operation>` and a JSON body, answered by `operations[Operation]`. Any
 * credentials do: it checks the protocol, not the signature. The local tools and the tests play
 * AWS services with it.
 */
export abstract class AwsJsonEndpoint {
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
