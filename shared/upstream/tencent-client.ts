import { randomInt } from 'node:crypto';
import { TencentTransportError } from '../errors.ts';
import type { PortraitClient } from '../portrait/ports.ts';
import { validatePortraitRequest } from '../portrait/request-validation.ts';
import { TENCENT_MAX_ACCOUNTS } from '../tencent/limits.ts';
import type { PortraitGetResponse } from '../tencent/portrait-types.ts';
import { PORTRAIT_GET_PATH, restApiQuery } from '../tencent/rest-query.ts';
import { closeKeepAliveAgents, keepAlivePost, type PostTimeouts, TIMEOUT_CODES } from './keep-alive-post.ts';
import { parsePortraitReply } from './portrait-reply.ts';
import type { UserSigSigner } from './usersig-signer.ts';

export type TencentClientTimeouts = PostTimeouts;

/**
 * Connect 2 s; headers and body 5 s each. Tencent's backend gives up on a REST call after 3 s and
 * then still answers (60008/70169), so waiting longer than that lets its own verdict arrive instead
 * of a guess of ours; without bounds of its own a call would hold a Lambda for its whole timeout.
 */
export const DEFAULT_TIMEOUTS: Readonly<TencentClientTimeouts> = {
  connectMs: 2_000,
  headersMs: 5_000,
  bodyMs: 5_000,
};

/**
 * Sockets per origin: no bound. A call the rate limiter released must leave at once: the ceiling's
 * bound assumes it reaches Tencent within the margin of its reserved time (docs/rate-limit.md,
 * "The bound"), and a call queued behind a busy socket arrives a whole round trip late (measured:
 * 40 calls against 300 ms answers arrived over 620 ms with 16 sockets). The limiter already bounds
 * the calls in flight to about its share of the ceiling times the round trip, and warm sockets are
 * reused (keep-alive, last in first out), so the bound bought nothing the ceiling does not.
 */
export const DEFAULT_CONNECTIONS_PER_ORIGIN = Number.POSITIVE_INFINITY;

/**
 * Closes every kept-alive socket and forgets which origins were unreachable (local server shutdown,
 * tests: a loopback port closed by one test may be another test's server later); the next call
 * opens new ones.
 */
export function closeConnections(): void {
  closeKeepAliveAgents();
  unreachableUntil.clear();
}

/**
 * How long an origin that could not be connected to is passed over: 60 s. A call slot covers one
 * instant, so an attempt goes to one origin only and the service's next attempt, under a fresh slot,
 * must not wait on the same dead origin again. A minute costs one failed attempt per instance per
 * minute of a primary outage, and sends the traffic back to the primary a minute after it recovers.
 */
export const UNREACHABLE_ORIGIN_MS = 60_000;

/**
 * Until when each origin that could not be connected to is passed over (epoch ms), for the whole
 * process: a Lambda instance lives for hours, and clients that share an origin share the network
 * path to it, so what one client learns spares the others a failed attempt.
 */
const unreachableUntil = new Map<string, number>();

export interface TencentClientOptions {
  signer: UserSigSigner;
  /** Origins in order of preference, as `upstreamOrigins` returns them (primary, then backup). */
  origins: readonly string[];
  /** Default {@link DEFAULT_TIMEOUTS}. */
  timeouts?: Partial<TencentClientTimeouts>;
  /** Default {@link DEFAULT_CONNECTIONS_PER_ORIGIN}. */
  connectionsPerOrigin?: number;
  /** The clock in epoch milliseconds, for passing over unreachable origins. Default `Date.now`. */
  now?: () => number;
}

/**
 * Failures that happen before a single byte reaches Tencent (name resolution, refused or unanswered
 * connect): the origin itself is out of reach, so it is passed over for a while. A connection that
 * broke after it was made (a dead pooled socket) says nothing about the origin.
 */
const NEVER_REACHED = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  TIMEOUT_CODES.connect,
]);

const TIMEOUTS = new Set<string>([TIMEOUT_CODES.headers, TIMEOUT_CODES.body]);

/** The error's system or timeout code; Node's happy-eyeballs connect wraps them in an AggregateError. */
function codeOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'unknown';
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  if (cause !== undefined) return codeOf(cause);
  if (Array.isArray(errors) && errors.length > 0) return codeOf(errors[0]);
  return (error as Error).name ?? 'unknown';
}

/** Tencent Chat's `v4/profile/portrait_get` over HTTPS: one attempt per call, errors typed by the code table. */
export class TencentClient implements PortraitClient {
  readonly #signer: UserSigSigner;
  readonly #origins: readonly string[];
  readonly #timeouts: TencentClientTimeouts;
  readonly #connectionsPerOrigin: number;
  readonly #now: () => number;

  constructor(options: TencentClientOptions) {
    if (options.origins.length === 0) throw new RangeError('TencentClient needs at least one origin');
    this.#signer = options.signer;
    this.#origins = options.origins;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.#connectionsPerOrigin = options.connectionsPerOrigin ?? DEFAULT_CONNECTIONS_PER_ORIGIN;
    this.#now = options.now ?? Date.now;
  }

  /**
   * One portrait_get attempt: validates the request (at most {@link TENCENT_MAX_ACCOUNTS} accounts)
   * before any network use, then posts it to one origin, the first not passed over for
   * {@link UNREACHABLE_ORIGIN_MS} after a failed connect. Resolves with Tencent's `OK` reply,
   * per-account failures included; throws a `TencentError` otherwise (a failed connect as a
   * retryable `connection` failure, so the caller's next attempt goes to the next origin).
   */
  async portraitGet(
    accounts: readonly string[],
    tags: readonly string[],
    signal?: AbortSignal,
  ): Promise<PortraitGetResponse> {
    const request = validatePortraitRequest(accounts, tags, TENCENT_MAX_ACCOUNTS);
    if (signal?.aborted) throw abortedError(signal);
    // No secret read between a slot's grant and its call: ready() resolved the credentials first.
    const { credentials, userSig } = this.#signer.held() ?? (await this.#signer.current());
    const query = restApiQuery(credentials, userSig, randomInt(0, 2 ** 32));
    const body = await this.#post(`${PORTRAIT_GET_PATH}?${query}`, JSON.stringify(request), signal);
    return parsePortraitReply(body);
  }

  async renewUserSig(): Promise<void> {
    await this.#signer.renew();
  }

  async reloadCredentials(): Promise<void> {
    await this.#signer.reload();
  }

  async ready(): Promise<void> {
    await this.#signer.current();
  }

  async sdkAppId(): Promise<number> {
    return (await this.#signer.current()).credentials.sdkAppId;
  }

  /** Posts to one origin; one that cannot be connected to is passed over by the next attempts. */
  async #post(path: string, body: string, signal: AbortSignal | undefined): Promise<string> {
    const origin = this.#origin();
    try {
      return await this.#postTo(origin, path, body, signal);
    } catch (error) {
      if (signal?.aborted) throw abortedError(signal);
      if (error instanceof TencentTransportError) throw error;
      const code = codeOf(error);
      if (!NEVER_REACHED.has(code)) throw this.#brokenError(origin, code, error);
      unreachableUntil.set(origin, this.#now() + UNREACHABLE_ORIGIN_MS);
      throw this.#unreachableError(origin, code, error);
    }
  }

  /**
   * The first origin not passed over. When every one is, the one whose mark ends first: a total
   * outage then probes the origins in turn, the primary included, instead of one of them only.
   */
  #origin(): string {
    const now = this.#now();
    const until = (origin: string) => unreachableUntil.get(origin) ?? 0;
    return (
      this.#origins.find((origin) => until(origin) <= now) ??
      this.#origins.reduce((first, origin) => (until(origin) < until(first) ? origin : first))
    );
  }

  async #postTo(
    origin: string,
    path: string,
    body: string,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const response = await keepAlivePost(origin, path, body, {
      headers: { 'content-type': 'application/json; charset=utf-8', accept: 'application/json' },
      timeouts: this.#timeouts,
      maxSockets: this.#connectionsPerOrigin,
      ...(signal && { signal }),
    });
    // Any answer, whatever its status, shows the origin can be reached again.
    unreachableUntil.delete(origin);
    if (response.statusCode !== 200) {
      throw new TencentTransportError(
        'http-status',
        `Tencent at ${origin} answered HTTP ${response.statusCode} instead of a portrait_get reply`,
        { httpStatus: response.statusCode },
      );
    }
    return response.body;
  }

  #unreachableError(origin: string, code: string, cause: unknown): TencentTransportError {
    const next = this.#origin();
    const domain = next === this.#origins[0] ? 'primary' : 'backup';
    const then =
      next === origin
        ? 'the next attempt tries it again'
        : `the next attempt uses the ${domain} domain ${next}`;
    return new TencentTransportError(
      'connection',
      `could not connect to Tencent at ${origin} (${code}); it is passed over for ${UNREACHABLE_ORIGIN_MS / 1000} s and ${then}`,
      { cause },
    );
  }

  #brokenError(origin: string, code: string, cause: unknown): TencentTransportError {
    if (TIMEOUTS.has(code)) {
      const limit = code === TIMEOUT_CODES.headers ? this.#timeouts.headersMs : this.#timeouts.bodyMs;
      return new TencentTransportError(
        'timeout',
        `Tencent at ${origin} did not answer within ${limit} ms (${code})`,
        { cause },
      );
    }
    // A reused keep-alive socket that died while a Lambda was frozen lands here too: retryable.
    return new TencentTransportError(
      'connection',
      `the connection to Tencent at ${origin} broke before a reply arrived (${code})`,
      { cause },
    );
  }
}

function abortedError(signal: AbortSignal): TencentTransportError {
  const reason = signal.reason instanceof Error ? signal.reason.name : 'AbortError';
  return new TencentTransportError(
    'aborted',
    `the caller ended the Tencent call before a reply arrived (${reason})`,
    { cause: signal.reason },
  );
}
