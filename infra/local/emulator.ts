/**
 * The Tencent IM emulator: a real HTTP server on loopback that answers `v4/profile/portrait_get`
 * the way Tencent's REST API does (docs/local.md, "The Tencent IM emulator"). Tests, benchmarks and
 * `npm start`'s demo mode talk to it instead of Tencent.
 *
 * This file is the server: it carries each /v4 call to the judge (emulator/judge.ts, whose header
 * lists every judging decision in order), with the faults in force (emulator/faults.ts) and the
 * sliding-second ceiling (emulator/sliding-second.ts), answers what the judge decided and records
 * the call in arrival order with its outcome ({@link EmulatorCall}, emulator/call-record.ts).
 *
 * Test hooks, outside /v4 so they are never recorded; they answer loopback peers only (else 403):
 *   GET  /__emulator/calls              → 200, JSON array of EmulatorCall in arrival order
 *   POST /__emulator/faults             body: a JSON Faults object; `{}` clears → 204 (400 if invalid)
 *   POST /__emulator/reset              forgets the recorded calls → 204
 *   PUT  /__emulator/profiles/<account> body: JSON ProfileItem[], replaces that profile → 204 (400 if invalid)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { ProfileItem } from '../../shared/tencent/portrait-types.ts';
import { accountsIn, CallRecord, type EmulatorCall } from './emulator/call-record.ts';
import { EmulatorConfigError } from './emulator/emulator-config-error.ts';
import { FaultSchedule, type Faults, proxyErrorPage, TRUNCATED_REPLY } from './emulator/faults.ts';
import { isLoopbackPeer, originOf, readBody, sendJson, sendText } from './emulator/http-io.ts';
import { isWholeNumber, NOT_JSON, parseJson } from './emulator/json-values.ts';
import {
  type Arrival,
  answerPortraitGet,
  BODY_TOO_LARGE,
  judgeArrival,
  MAX_BODY_BYTES,
} from './emulator/judge.ts';
import { ProfileBook } from './emulator/profile-book.ts';
import { SlidingSecond } from './emulator/sliding-second.ts';
import { UserSigVerdicts } from './emulator/usersig-verdicts.ts';

export { PORTRAIT_GET_PATH } from '../../shared/tencent/rest-query.ts';
export { DEMO_CREDENTIALS, DEMO_PROFILES } from './demo-profiles.ts';
export type { CallOutcome, EmulatorCall } from './emulator/call-record.ts';
export { EmulatorConfigError } from './emulator/emulator-config-error.ts';
export type { Faults } from './emulator/faults.ts';

/** Tencent's default ceiling for portrait_get, per app. */
export const DEFAULT_RATE_PER_SECOND = 200;

const ADMIN_PREFIX = '/__emulator/';

export interface EmulatorOptions {
  sdkAppId: number;
  adminIdentifier: string;
  secretKey: string;
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Admitted calls per sliding second. Default {@link DEFAULT_RATE_PER_SECOND}. */
  ratePerSecond?: number;
  /** Initial profiles by account. Default: none. */
  profiles?: Record<string, ProfileItem[]>;
  /** The app's configured `Tag_Profile_Custom_*` fields. Default: every custom tag used in `profiles`. */
  customTags?: string[];
  /** The clock in epoch ms, for arrival times, the ceiling and UserSig expiry; must never go back. Default: performance.timeOrigin + performance.now(). */
  now?: () => number;
}

/** A call whose body has been read, ready to be answered. */
interface ReadCall {
  at: number;
  ticket: number;
  arrival: Arrival;
  body: string | undefined;
  latencyMs: number;
}

/** A loopback Tencent Chat REST server for `v4/profile/portrait_get`; see the file header. */
export class TencentEmulator {
  /** Every call to a /v4 path, in arrival order. */
  readonly calls: EmulatorCall[];

  readonly #server: Server;
  readonly #now: () => number;
  readonly #admin: UserSigVerdicts;
  readonly #profiles: ProfileBook;
  readonly #ceiling: SlidingSecond;
  readonly #faults = new FaultSchedule();
  readonly #record = new CallRecord();
  readonly #closing = new AbortController();
  #url = '';

  private constructor(server: Server, options: EmulatorOptions) {
    this.#server = server;
    this.calls = this.#record.calls;
    this.#admin = new UserSigVerdicts({
      sdkAppId: options.sdkAppId,
      identifier: options.adminIdentifier,
      secretKey: options.secretKey,
    });
    this.#now = options.now ?? (() => performance.timeOrigin + performance.now());
    this.#ceiling = new SlidingSecond(options.ratePerSecond ?? DEFAULT_RATE_PER_SECOND);
    this.#profiles = new ProfileBook(options.profiles ?? {}, options.customTags);
    server.on('request', (req, res) => this.#route(req, res));
  }

  /** Starts an emulator on `host:port` (defaults 127.0.0.1, any free port). Throws {@link EmulatorConfigError} for bad options. */
  static async start(options: EmulatorOptions): Promise<TencentEmulator> {
    checkOptions(options);
    const host = options.host ?? '127.0.0.1';
    const server = createServer();
    const emulator = new TencentEmulator(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    emulator.#url = originOf(host, (server.address() as AddressInfo).port);
    return emulator;
  }

  /** Origin, e.g. http://127.0.0.1:41234. */
  get url(): string {
    return this.#url;
  }

  /** Injects failures into the next calls (all of them unless `times` is set); `{}` clears. */
  setFaults(faults: Faults): void {
    this.#faults.set(faults);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  /** Replaces an account's profile; values must have their tag's type (uint32 tags: numbers). */
  setProfile(account: string, items: ProfileItem[]): void {
    this.#profiles.set(account, items);
  }

  /** Key rotation: UserSigs made with the old key fail with 70005 from now on. */
  setSecretKey(secretKey: string): void {
    this.#admin.setSecretKey(secretKey);
  }

  /** Forgets the recorded calls; the ceiling's window is kept, as Tencent's would be. */
  resetCalls(): void {
    this.#record.clear();
  }

  /** Stops listening and drops every open connection, hanging ones included. */
  async close(): Promise<void> {
    this.#closing.abort();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (url.pathname === '/v4' || url.pathname.startsWith('/v4/')) this.#handleCall(req, res, url);
    else if (url.pathname.startsWith(ADMIN_PREFIX)) this.#handleAdmin(req, res, url);
    else sendText(res, 404, 'not found: the emulator serves /v4/profile/portrait_get');
  }

  /** Judges the call synchronously on arrival, so the ceiling sees calls in arrival order; answers once its body is read. */
  #handleCall(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const at = this.#now();
    const ticket = this.#record.arrive();
    const faults = this.#faults.take();
    const arrival = judgeArrival({ method: req.method, url, at, faults }, this.#admin, () =>
      this.#ceiling.tryAdmit(at),
    );
    readBody(req, MAX_BODY_BYTES)
      .then((body) =>
        this.#answer(req, res, { at, ticket, arrival, body, latencyMs: faults?.latencyMs ?? 0 }),
      )
      .catch(() => req.socket.destroy());
  }

  async #answer(req: IncomingMessage, res: ServerResponse, call: ReadCall): Promise<void> {
    const { arrival } = call;
    const request = call.body === undefined ? BODY_TOO_LARGE : parseJson(call.body);
    const accounts = accountsIn(request);
    if (arrival.kind === 'fault') {
      this.#record.record(call.ticket, { at: call.at, accounts, outcome: arrival.fault });
      if (!(await this.#delay(call.latencyMs))) return;
      if (arrival.fault === 'reset') req.socket.resetAndDestroy();
      else if (arrival.fault === 'http-status')
        sendText(res, arrival.httpStatus, proxyErrorPage(arrival.httpStatus), 'text/html');
      else if (arrival.fault === 'malformed') sendText(res, 200, TRUNCATED_REPLY, 'application/json');
      return;
    }
    const reply =
      arrival.kind === 'refused'
        ? arrival.envelope
        : answerPortraitGet(request, arrival.failAccounts, this.#profiles, arrival.unknownFailsCall);
    this.#record.record(call.ticket, { at: call.at, accounts, outcome: reply.ErrorCode });
    if (!(await this.#delay(call.latencyMs))) return;
    const status = arrival.kind === 'refused' ? arrival.httpStatus : 200;
    sendJson(res, status, reply, status === 405 ? { allow: 'POST' } : {});
  }

  /** Waits out an injected latency; false when the emulator closed meanwhile. */
  async #delay(ms: number): Promise<boolean> {
    if (ms === 0) return true;
    try {
      await delay(ms, undefined, { signal: this.#closing.signal });
      return true;
    } catch {
      return false;
    }
  }

  #handleAdmin(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (!isLoopbackPeer(req.socket.remoteAddress)) {
      sendText(res, 403, 'the emulator test hooks answer loopback peers only');
      return;
    }
    const path = url.pathname.slice(ADMIN_PREFIX.length);
    const route = `${req.method} ${path.startsWith('profiles/') ? 'profiles/' : path}`;
    const apply = (change: (json: unknown) => void): void => {
      readBody(req, MAX_BODY_BYTES).then(
        (body) => {
          try {
            const json = parseJson(body);
            if (json === NOT_JSON) throw new EmulatorConfigError('the body must be JSON');
            change(json);
            res.writeHead(204).end();
          } catch (error) {
            sendText(res, 400, (error as Error).message);
          }
        },
        () => req.socket.destroy(),
      );
    };
    switch (route) {
      case 'GET calls':
        sendJson(res, 200, this.calls);
        return;
      case 'POST reset':
        this.resetCalls();
        req.resume();
        res.writeHead(204).end();
        return;
      case 'POST faults':
        apply((json) => this.setFaults(json as Faults));
        return;
      case 'PUT profiles/':
        apply((json) =>
          this.setProfile(decodeURIComponent(path.slice('profiles/'.length)), json as ProfileItem[]),
        );
        return;
      default:
        sendText(res, 404, 'unknown test hook: see the header of infra/local/emulator.ts');
    }
  }
}

function checkOptions(options: EmulatorOptions): void {
  if (!isWholeNumber(options.sdkAppId, 1))
    throw new EmulatorConfigError('sdkAppId must be a positive integer');
  if (!options.adminIdentifier) throw new EmulatorConfigError('adminIdentifier must not be empty');
  if (!options.secretKey) throw new EmulatorConfigError('secretKey must not be empty');
  if (options.ratePerSecond !== undefined && !isWholeNumber(options.ratePerSecond, 1))
    throw new EmulatorConfigError('ratePerSecond must be a positive integer');
}
