import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { LAMBDA_RESPONSE_MAX_BYTES, responseBytes } from '../../shared/http/lambda-reply.ts';
import type { TencentEnvelope } from '../../shared/tencent/portrait-types.ts';
import type { AnsweredRequest } from './access-line.ts';
import { fromProxyResult, type HttpReply, toApiGatewayEvent } from './api-gateway-event.ts';
import { type FunctionSettings, lambdaContext } from './lambda-context.ts';

/** A REST API proxy-integration Lambda handler, as functions/*.ts export them. */
export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** One method on one resource of the API, served by one function. */
export interface Route {
  method: string;
  /** The resource path, served exactly (no stage prefix), e.g. `/v4/profile/portrait_get`. */
  path: string;
  handler: ProxyHandler;
  function: FunctionSettings;
}

export interface LocalServerOptions {
  routes: readonly Route[];
  /** Default 3000; 0 picks a free port (read it from {@link LocalServer.port}). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default `local`. */
  stage?: string;
  /** Where failed invocations are reported; default stderr. Never given a response body. */
  log?: (line: string) => void;
  /** Called once per answered request, e.g. for an access log; default none. */
  onRequest?: (answered: AnsweredRequest) => void;
}

/** API Gateway's payload limit for REST APIs. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

class InvocationTimeoutError extends Error {
  override readonly name = 'InvocationTimeoutError';
}

class MalformedProxyResultError extends Error {
  override readonly name = 'MalformedProxyResultError';
}

/** What Lambda's runtime reports for a response over its limit: the invocation fails. */
class ResponseSizeTooLargeError extends Error {
  override readonly name = 'Function.ResponseSizeTooLarge';
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLargeError(`request body over ${MAX_BODY_BYTES} bytes`));
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpReply => ({
  statusCode,
  headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
  body: Buffer.from(JSON.stringify(body)),
});

/** API Gateway's own answer when the integration fails: its shape, not the function's. */
const gatewayError = (statusCode: number, message: string, errorType: string): HttpReply =>
  json(statusCode, { message }, { 'x-amzn-ErrorType': errorType });

/**
 * Tencent's envelope for a path the gateway does not serve. 60002 is Tencent's "HTTP request could
 * not be parsed" code, the one it gives for a URL that names no API.
 */
function tencentNotFound(method: string, path: string, routes: readonly Route[]): HttpReply {
  const served = routes.map((route) => `${route.method} ${route.path}`).join(', ');
  const envelope: TencentEnvelope = {
    ActionStatus: 'FAIL',
    ErrorCode: 60002,
    ErrorInfo: `no such API: ${method} ${path}; this gateway serves ${served}`,
    ErrorDisplay: '',
  };
  return json(404, envelope);
}

/**
 * The handler's result as Lambda and API Gateway take it: a response over Lambda's limit (its JSON,
 * as the runtime sends it) fails the invocation, as does anything that is not a proxy result.
 */
function checkedResult(result: unknown): APIGatewayProxyResult {
  const candidate = result as Partial<APIGatewayProxyResult> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    !Number.isInteger(candidate.statusCode) ||
    (candidate.body !== undefined && typeof candidate.body !== 'string')
  ) {
    throw new MalformedProxyResultError('the handler returned no {statusCode, body} proxy result');
  }
  const bytes = responseBytes(candidate as APIGatewayProxyResult);
  if (bytes > LAMBDA_RESPONSE_MAX_BYTES) {
    throw new ResponseSizeTooLargeError(
      `Response payload size (${bytes} bytes) exceeded maximum allowed payload size (${LAMBDA_RESPONSE_MAX_BYTES} bytes).`,
    );
  }
  return candidate as APIGatewayProxyResult;
}

/**
 * The deployed API on loopback: each request on a known route becomes a REST proxy event for that
 * route's handler, with a Lambda-like context whose clock runs from the function's timeout. What API
 * Gateway itself would answer (handler threw, timed out, returned garbage or a response over
 * Lambda's 6 MB: 502; body over 10 MB: 413) is answered in API Gateway's shape; an unknown path
 * gets a Tencent-shaped 404.
 *
 * Unlike Lambda, concurrent requests run in one module instance, so they share its warm state.
 */
export class LocalServer {
  readonly #server: Server;
  readonly #options: Required<Pick<LocalServerOptions, 'stage' | 'log'>> & LocalServerOptions;

  private constructor(server: Server, options: LocalServerOptions) {
    this.#server = server;
    this.#options = { stage: 'local', log: (line) => console.error(line), ...options };
  }

  /** Listens on `host:port` (defaults 127.0.0.1:3000) and resolves once it accepts connections. */
  static async start(options: LocalServerOptions): Promise<LocalServer> {
    const server = createServer();
    const local = new LocalServer(server, options);
    server.on('request', (request, response) => {
      void local.#serve(request, response);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return local;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** `http://host:port`, with the real port when 0 was asked for. */
  get url(): string {
    const { address, family } = this.#server.address() as AddressInfo;
    return `http://${family === 'IPv6' ? `[${address}]` : address}:${this.port}`;
  }

  /** Stops accepting, ends idle keep-alive connections and waits for requests in flight. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    await closed;
  }

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const arrivedAt = performance.now();
    const method = request.method ?? 'GET';
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const requestId = randomUUID();
    let reply: HttpReply;
    try {
      reply = await this.#reply(request, method, path, requestId);
    } catch (error) {
      reply =
        error instanceof BodyTooLargeError
          ? gatewayError(413, 'Request Too Long', 'RequestTooLarge')
          : gatewayError(500, 'Internal server error', 'InternalServerErrorException');
    }
    response.writeHead(reply.statusCode, { ...reply.headers, 'x-amzn-RequestId': requestId });
    response.end(reply.body);
    this.#options.onRequest?.({
      method,
      path,
      statusCode: reply.statusCode,
      headers: reply.headers,
      durationMs: performance.now() - arrivedAt,
    });
  }

  async #reply(
    request: IncomingMessage,
    method: string,
    path: string,
    requestId: string,
  ): Promise<HttpReply> {
    const body = await readBody(request);
    const route = this.#options.routes.find((r) => r.path === path && r.method === method);
    if (route === undefined) return tencentNotFound(method, path, this.#options.routes);

    const startedAt = Date.now();
    const event = toApiGatewayEvent(request, body, {
      resource: route.path,
      stage: this.#options.stage,
      requestId,
      now: startedAt,
    });
    const context = lambdaContext(route.function, startedAt);
    try {
      return fromProxyResult(checkedResult(await this.#invoke(route, event, context)));
    } catch (error) {
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      this.#options.log(`${route.function.functionName} invocation ${requestId} failed: ${name}: ${message}`);
      return gatewayError(502, 'Internal server error', 'InternalServerErrorException');
    }
  }

  /** Runs the handler; like Lambda, an invocation that outlives the function's timeout has failed. */
  async #invoke(route: Route, event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new InvocationTimeoutError(`timed out after ${route.function.timeoutMs} ms`)),
        context.getRemainingTimeInMillis(),
      );
    });
    try {
      return await Promise.race([route.handler(event, context), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
