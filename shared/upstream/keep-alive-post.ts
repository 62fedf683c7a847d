import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** How long each phase of one call may take. */
export interface PostTimeouts {
  /** TCP and TLS handshake with the origin, once a socket is assigned (a reused one is connected). */
  connectMs: number;
  /** From the request's bytes sent until the response headers arrive. */
  headersMs: number;
  /** Between two chunks of the response body. */
  bodyMs: number;
}

export interface PostOptions {
  headers: Record<string, string>;
  timeouts: PostTimeouts;
  /** Sockets per origin; calls past it wait for a free one. */
  maxSockets: number;
  /** Ends the call, wherever it is, with an `AbortError`. */
  signal?: AbortSignal;
}

export interface PostReply {
  statusCode: number;
  /** The body as UTF-8 text; empty for a status other than 200, whose body is drained unread. */
  body: string;
}

/**
 * The codes of the timeouts this module raises, alongside Node's own system error codes
 * (`ECONNREFUSED`, `ENOTFOUND`, `ECONNRESET`…) for the other failures.
 */
export const TIMEOUT_CODES = {
  connect: 'CONNECT_TIMEOUT',
  headers: 'HEADERS_TIMEOUT',
  body: 'BODY_TIMEOUT',
} as const;

const agents = new Map<string, HttpAgent>();

/**
 * One keep-alive agent per origin and socket bound, created on first use and kept for the life of
 * the process, so warm Lambda invocations reuse their sockets and TLS sessions. Node's own
 * `http`/`https` rather than a client library: the AWS SDK loads them anyway, so they cost a Lambda
 * cold start nothing (docs/performance.md, "Cold start").
 */
function agentFor(url: URL, maxSockets: number): HttpAgent {
  const key = `${url.origin} ${maxSockets}`;
  let agent = agents.get(key);
  if (agent === undefined) {
    const options = { keepAlive: true, maxSockets, scheduling: 'lifo' as const };
    agent = url.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
    agents.set(key, agent);
  }
  return agent;
}

/** Destroys every kept socket (local server shutdown, tests); the next call opens new ones. */
export function closeKeepAliveAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

const coded = (code: string, message: string): Error => Object.assign(new Error(message), { code });

/**
 * POSTs `body` to `origin` + `path` over a kept-alive socket and resolves with the status and, for a
 * 200, the body text. Rejects with Node's error (its `code` says what failed) or one of
 * {@link TIMEOUT_CODES}; with the signal's `AbortError` once `signal` aborts.
 */
export function keepAlivePost(
  origin: string,
  path: string,
  body: string,
  options: PostOptions,
): Promise<PostReply> {
  const url = new URL(path, origin);
  const { timeouts } = options;
  return new Promise<PostReply>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'POST',
      agent: agentFor(url, options.maxSockets),
      headers: { ...options.headers, 'content-length': String(Buffer.byteLength(body)) },
      ...(options.signal && { signal: options.signal }),
    });
    /** (Re)arms the one timer of the current phase; past it the request fails with `code`. */
    const within = (ms: number, code: string, what: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => request.destroy(coded(code, `${what} within ${ms} ms`)), ms);
    };
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    request.on('error', fail);
    request.on('socket', (socket) => {
      if (!socket.connecting) return within(timeouts.headersMs, TIMEOUT_CODES.headers, 'no response headers');
      within(timeouts.connectMs, TIMEOUT_CODES.connect, 'no connection');
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () =>
        within(timeouts.headersMs, TIMEOUT_CODES.headers, 'no response headers'),
      );
    });
    request.on('response', (response: IncomingMessage) => {
      const idle = () => within(timeouts.bodyMs, TIMEOUT_CODES.body, 'no body data');
      idle();
      response.on('error', fail);
      if (response.statusCode !== 200) {
        response.on('data', idle);
        response.resume();
        response.on('end', () => {
          clearTimeout(timer);
          resolve({ statusCode: response.statusCode ?? 0, body: '' });
        });
        return;
      }
      const chunks: Buffer[] = [];
      response.on('close', () => {
        if (!response.complete) fail(coded('ECONNRESET', 'the connection closed before the body ended'));
      });
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        idle();
      });
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ statusCode: 200, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    request.end(body);
  });
}
