/**
 * The Tencent IM emulator: a real HTTP server on loopback that answers `v4/profile/portrait_get`
 * the way Tencent's REST API does (reference/tencent-im.md §1–3, DESIGN.md §8). Tests, benchmarks
 * and `npm start`'s demo mode talk to it instead of Tencent.
 *
 * A call to a /v4 path is judged in this order; the first failing check answers:
 *   1. faults set by a test (reset, hang, HTTP status, malformed JSON, forced code), see {@link Faults}
 *   2. method: anything but POST → HTTP 405 with 60002
 *   3. command: any /v4 path but portrait_get → HTTP 200 with 60002. Tencent answers unknown commands
 *      inside its envelope rather than with a 404; 60002 ("HTTP parse error") is its closest code.
 *   4. URL: `sdkappid`, `identifier`, `random` and `contenttype` present and well-formed, else 60002
 *      naming the parameter (they are parsed before any command runs, so the HTTP-level code fits
 *      better than portrait_get's 40001); `random` must be a decimal uint32; `contenttype=json`
 *   5. `sdkappid` ≠ this app → 60006; `identifier` ≠ the app admin → 60004
 *   6. `usersig` absent or empty → 70002; otherwise {@link verifyUserSig} against the admin:
 *      unparsable or not v2 → 70003, made for another identifier → 70013, made for another
 *      SDKAppID → 70014 (the precise mismatch code; 70009 "another app's key" cannot be told apart
 *      from a bad HMAC, which answers 70005), HMAC wrong → 70005, expired → 70001
 *   7. the ceiling: more than `ratePerSecond` admitted calls with arrival in (t − 1000 ms, t] → 60007.
 *      Only calls that pass 1–6 and are admitted consume the budget: refused calls (60007 included)
 *      do not, so a client that backs off is served again as soon as the second slides on.
 *   8. body: not a JSON object → 60003
 *   9. `To_Account` missing or empty → 40002; not a list of non-empty strings, or more than 100 → 40001;
 *      `TagList` missing, empty or not a list of strings → 40001; a tag that is neither standard nor
 *      one of the app's configured custom tags → 40009 (the whole call fails)
 *  10. answer: `UserProfileItem` in request order; an account with no profile → ResultCode 40003;
 *      `Fail_Account` lists failed accounts and is present only when one failed; tags never set are
 *      omitted from `ProfileItem`; uint32 tags are JSON numbers. Where Tencent's docs are silent
 *      (unknown accounts, unset tags) the emulator picks the documented-looking variant.
 *
 * Every /v4 call is recorded ({@link EmulatorCall}) in arrival order, with its outcome.
 *
 * Test hooks, outside /v4 so they are never recorded; they answer loopback peers only (else 403):
 *   GET  /__emulator/calls              → 200, JSON array of EmulatorCall in arrival order
 *   POST /__emulator/faults             body: a JSON Faults object; `{}` clears → 204 (400 if invalid)
 *   POST /__emulator/reset              forgets the recorded calls → 204
 *   PUT  /__emulator/profiles/<account> body: JSON ProfileItem[], replaces that profile → 204 (400 if invalid)
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { TENCENT_MAX_ACCOUNTS } from '../../shared/tencent/limits.ts';
import type {
  PortraitGetResponse,
  ProfileItem,
  ProfileValue,
  TencentEnvelope,
  UserProfileItem,
} from '../../shared/tencent/portrait-types.ts';
import { isCustomTag, isStandardTag, tagValueType } from '../../shared/tencent/profile-tags.ts';
import { isLoopbackHost } from '../../shared/tencent/regions.ts';
import { type UserSigRejection, type UserSigVerdict, verifyUserSig } from '../../shared/tencent/usersig.ts';

export { DEMO_CREDENTIALS, DEMO_PROFILES } from './demo-profiles.ts';

export const PORTRAIT_GET_PATH = '/v4/profile/portrait_get';
/** Tencent's default ceiling for portrait_get, per app. */
export const DEFAULT_RATE_PER_SECOND = 200;

const ADMIN_PREFIX = '/__emulator/';
const WINDOW_MS = 1000;
const UINT32_MAX = 4_294_967_295;
const MAX_BODY_BYTES = 1 << 20;
/** Distinct UserSigs remembered; a client renews its UserSig rarely, so this is never reached in practice. */
const MAX_CACHED_USERSIGS = 10_000;

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

export type CallOutcome = number | 'reset' | 'hang' | 'http-status' | 'malformed';

export interface EmulatorCall {
  /** Arrival, epoch ms with sub-ms precision. */
  at: number;
  /** Entries of `To_Account` when the body held a list, else 0. */
  accounts: number;
  /** The ErrorCode answered, or the fault that replaced the answer. */
  outcome: CallOutcome;
}

/**
 * Failures to inject. When several are set, the first of reset, hang, httpStatus, malformedJson,
 * forceCode wins and replaces every check; `latencyMs` delays whatever is answered; `failAccounts`
 * applies to calls that are otherwise answered normally.
 */
export interface Faults {
  /** Delay before answering. */
  latencyMs?: number;
  /** Never answer (the socket stays open until the client gives up or the emulator closes). */
  hang?: boolean;
  /** Answer this HTTP status with an HTML body, as a proxy in front of Tencent would (e.g. 502). */
  httpStatus?: number;
  /** Reset the connection (TCP RST) after the request arrived. */
  reset?: boolean;
  /** Answer HTTP 200 with a truncated JSON body. */
  malformedJson?: boolean;
  /** Per-account ResultCode for these accounts (e.g. 40006), the call itself succeeding. */
  failAccounts?: Record<string, number>;
  /** Answer the whole call `ActionStatus: FAIL` with this code (e.g. 60007, 70001). */
  forceCode?: number;
  /** Apply to the next N calls to a /v4 path only (each call uses one up). Default: until cleared. */
  times?: number;
}

/** The emulator was given options, faults or a profile it cannot honour. */
export class EmulatorConfigError extends Error {
  override readonly name = 'EmulatorConfigError';
}

const USERSIG_CODES: Readonly<Record<UserSigRejection, number>> = {
  malformed: 70003,
  'wrong-version': 70003,
  'wrong-identifier': 70013,
  'wrong-sdkappid': 70014,
  'bad-signature': 70005,
  expired: 70001,
};

/**
 * ErrorInfo texts in Tencent's style. Tencent documents the codes, not their wording, so these
 * only need to be recognisable; clients must act on ErrorCode alone.
 */
const ERROR_INFO: Readonly<Record<number, string>> = {
  40001: 'Err_Profile_Comm_Decode_Fail',
  40002: 'Err_Profile_PortraitGet_To_Account_Missing',
  40006: 'Err_Profile_PortraitGet_Read_Custom_Data_Fail',
  40009: 'Err_Profile_Tag_Not_Exist',
  60002: 'HTTP parse error',
  60003: 'Fail to Parse json data of body',
  60004: 'identifier is not an app admin',
  60006: 'SDKAppID is invalid',
  60007: 'REST API call frequency exceeded',
  70001: 'UserSig expired',
  70002: 'UserSig is empty',
  70003: 'UserSig could not be parsed',
  70005: 'UserSig check failed',
  70013: 'identifier does not match the UserSig',
  70014: 'SDKAppID does not match the UserSig',
};

/** Per-account ResultInfo; 40003's wording is undocumented and chosen to read like Tencent's. */
const RESULT_INFO: Readonly<Record<number, string>> = {
  40003: 'Err_Profile_PortraitGet_Account_Not_Exist',
  40006: 'Err_Profile_PortraitGet_Read_Custom_Data_Fail',
};

const infoFor = (code: number, detail?: string): string => {
  const base = ERROR_INFO[code] ?? `Emulated error ${code}`;
  return detail === undefined ? base : `${base}: ${detail}`;
};

const fail = (code: number, detail?: string): TencentEnvelope => ({
  ActionStatus: 'FAIL',
  ErrorCode: code,
  ErrorInfo: infoFor(code, detail),
  ErrorDisplay: '',
});

/** What was decided when a call arrived, before its body was read. */
type Arrival =
  | { kind: 'fault'; fault: 'reset' | 'hang' | 'malformed' }
  | { kind: 'fault'; fault: 'http-status'; httpStatus: number }
  | { kind: 'refused'; envelope: TencentEnvelope; httpStatus: number }
  | { kind: 'admitted'; failAccounts: Readonly<Record<string, number>> };

const refused = (code: number, detail?: string, httpStatus = 200): Arrival => ({
  kind: 'refused',
  envelope: fail(code, detail),
  httpStatus,
});

/**
 * Arrival times of admitted calls over the last second, oldest first: each call is pushed once and
 * dropped once, so a check is amortised O(1).
 */
class SlidingSecond {
  readonly #limit: number;
  #times: number[] = [];
  #head = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Admits a call arriving `at` when fewer than the limit were admitted in (at − 1000, at]. */
  tryAdmit(at: number): boolean {
    while ((this.#times[this.#head] ?? Number.POSITIVE_INFINITY) <= at - WINDOW_MS) this.#head++;
    if (this.#times.length - this.#head >= this.#limit) return false;
    this.#times.push(at);
    if (this.#head > 4096 && this.#head * 2 > this.#times.length) {
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
    return true;
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isUint32 = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= UINT32_MAX;

const isWholeNumber = (value: unknown, min: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min;

const isBoolean = (value: unknown): boolean => typeof value === 'boolean';

const FAULT_CHECKS: Readonly<Record<keyof Faults, (value: unknown) => boolean>> = {
  latencyMs: (value) => isWholeNumber(value, 0),
  hang: isBoolean,
  httpStatus: (value) => isWholeNumber(value, 200) && value <= 599,
  reset: isBoolean,
  malformedJson: isBoolean,
  failAccounts: (value) =>
    isPlainObject(value) && Object.values(value).every((code) => isWholeNumber(code, 1)),
  forceCode: (value) => isWholeNumber(value, 1),
  times: (value) => isWholeNumber(value, 1),
};

/** Checks a Faults object that may come from JSON; undefined means "no faults". */
function checkFaults(faults: unknown): Faults | undefined {
  if (!isPlainObject(faults)) throw new EmulatorConfigError('faults must be a JSON object');
  for (const [key, value] of Object.entries(faults)) {
    const check = Object.hasOwn(FAULT_CHECKS, key) ? FAULT_CHECKS[key as keyof Faults] : undefined;
    if (check === undefined) throw new EmulatorConfigError(`faults.${key} is not a known fault`);
    if (!check(value)) throw new EmulatorConfigError(`faults.${key} has an invalid value`);
  }
  return Object.keys(faults).length === 0 ? undefined : (faults as Faults);
}

const readBody = (req: IncomingMessage): Promise<string | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

function sendJson(
  res: ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain'): void {
  res.writeHead(status, {
    'content-type': `${contentType}; charset=utf-8`,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const isLoopbackPeer = (address: string | undefined): boolean =>
  address !== undefined && isLoopbackHost(address.replace(/^::ffff:/, ''));

const originOf = (host: string, port: number): string => {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
};

/** A loopback Tencent Chat REST server for `v4/profile/portrait_get`; see the file header. */
export class TencentEmulator {
  /** Every call to a /v4 path, in arrival order. */
  readonly calls: EmulatorCall[] = [];

  readonly #server: Server;
  readonly #sdkAppId: number;
  readonly #admin: string;
  #secretKey: string;
  readonly #customTags: ReadonlySet<string>;
  readonly #now: () => number;
  readonly #window: SlidingSecond;
  readonly #profiles = new Map<string, ReadonlyMap<string, ProfileValue>>();
  /** Verdicts without the expiry check, which depends on when each call arrives. */
  readonly #userSigVerdicts = new Map<string, UserSigVerdict>();
  /** Arrival sequence numbers of {@link calls}, so a record lands in arrival order whenever its body ends. */
  #callSequence: number[] = [];
  #arrivals = 0;
  #faults: Faults | undefined;
  #faultCallsLeft: number | undefined;
  readonly #closing = new AbortController();
  #url = '';

  private constructor(server: Server, options: EmulatorOptions) {
    this.#server = server;
    this.#sdkAppId = options.sdkAppId;
    this.#admin = options.adminIdentifier;
    this.#secretKey = options.secretKey;
    this.#now = options.now ?? (() => performance.timeOrigin + performance.now());
    this.#window = new SlidingSecond(options.ratePerSecond ?? DEFAULT_RATE_PER_SECOND);
    this.#customTags = new Set(options.customTags ?? customTagsIn(options.profiles ?? {}));
    for (const tag of this.#customTags) {
      if (!isCustomTag(tag))
        throw new EmulatorConfigError(`customTags: ${tag} is not a Tag_Profile_Custom_<keyword>`);
    }
    for (const [account, items] of Object.entries(options.profiles ?? {})) this.setProfile(account, items);
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
    this.#faults = checkFaults(faults);
    this.#faultCallsLeft = this.#faults?.times;
  }

  clearFaults(): void {
    this.#faults = undefined;
    this.#faultCallsLeft = undefined;
  }

  /** Replaces an account's profile; values must have their tag's type (uint32 tags: numbers). */
  setProfile(account: string, items: ProfileItem[]): void {
    if (typeof account !== 'string' || account.length === 0)
      throw new EmulatorConfigError('an account is a non-empty string');
    if (!Array.isArray(items))
      throw new EmulatorConfigError(`the profile of ${account} must be a list of items`);
    const profile = new Map<string, ProfileValue>();
    for (const item of items as unknown[]) {
      if (!isPlainObject(item) || typeof item.Tag !== 'string')
        throw new EmulatorConfigError(`the profile of ${account} holds an item without a Tag`);
      const { Tag: tag, Value: value } = item;
      if (!this.#knowsTag(tag))
        throw new EmulatorConfigError(`${tag} is not a field of this app (customTags?)`);
      const typeOk = tagValueType(tag) === 'uint32' ? isUint32(value) : typeof value === 'string';
      if (!typeOk) throw new EmulatorConfigError(`${account}: ${tag} needs a ${tagValueType(tag)} value`);
      profile.set(tag, value as ProfileValue);
    }
    this.#profiles.set(account, profile);
  }

  /** Key rotation: UserSigs made with the old key fail with 70005 from now on. */
  setSecretKey(secretKey: string): void {
    this.#secretKey = secretKey;
    this.#userSigVerdicts.clear();
  }

  /** Forgets the recorded calls; the ceiling's window is kept, as Tencent's would be. */
  resetCalls(): void {
    this.calls.length = 0;
    this.#callSequence = [];
  }

  /** Stops listening and drops every open connection, hanging ones included. */
  async close(): Promise<void> {
    this.#closing.abort();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #knowsTag(tag: string): boolean {
    return isStandardTag(tag) || this.#customTags.has(tag);
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (url.pathname === '/v4' || url.pathname.startsWith('/v4/')) this.#handleCall(req, res, url);
    else if (url.pathname.startsWith(ADMIN_PREFIX)) this.#handleAdmin(req, res, url);
    else sendText(res, 404, 'not found: the emulator serves /v4/profile/portrait_get');
  }

  #handleCall(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const at = this.#now();
    const sequence = this.#arrivals++;
    const faults = this.#takeFaults();
    const arrival = this.#arrive(req.method, url, at, faults);
    readBody(req)
      .then((body) =>
        this.#answer(req, res, { at, sequence, arrival, body, latencyMs: faults?.latencyMs ?? 0 }),
      )
      .catch(() => req.socket.destroy());
  }

  /** The current faults, using one of their `times`. */
  #takeFaults(): Faults | undefined {
    const faults = this.#faults;
    if (this.#faultCallsLeft !== undefined && --this.#faultCallsLeft <= 0) this.clearFaults();
    return faults;
  }

  /** Steps 1–7 of the file header, decided synchronously on arrival so the ceiling sees calls in arrival order. */
  #arrive(method: string | undefined, url: URL, at: number, faults: Faults | undefined): Arrival {
    if (faults?.reset) return { kind: 'fault', fault: 'reset' };
    if (faults?.hang) return { kind: 'fault', fault: 'hang' };
    if (faults?.httpStatus !== undefined)
      return { kind: 'fault', fault: 'http-status', httpStatus: faults.httpStatus };
    if (faults?.malformedJson) return { kind: 'fault', fault: 'malformed' };
    if (faults?.forceCode !== undefined) return refused(faults.forceCode);
    if (method !== 'POST') return refused(60002, 'the HTTP method must be POST', 405);
    if (url.pathname !== PORTRAIT_GET_PATH) return refused(60002, `invalid command ${url.pathname}`);
    const urlRefusal = this.#checkUrl(url.searchParams, at);
    if (urlRefusal !== undefined) return urlRefusal;
    if (!this.#window.tryAdmit(at)) return refused(60007);
    return { kind: 'admitted', failAccounts: faults?.failAccounts ?? {} };
  }

  #checkUrl(query: URLSearchParams, at: number): Arrival | undefined {
    for (const name of ['sdkappid', 'identifier', 'random', 'contenttype']) {
      if (!query.has(name)) return refused(60002, `${name} is missing from the URL`);
    }
    const sdkAppId = query.get('sdkappid') as string;
    if (!/^\d{1,20}$/.test(sdkAppId)) return refused(60002, 'sdkappid is not a number');
    const random = query.get('random') as string;
    if (!/^\d{1,10}$/.test(random) || Number(random) > UINT32_MAX)
      return refused(60002, 'random is not an unsigned 32-bit integer');
    if (query.get('contenttype') !== 'json') return refused(60002, 'contenttype must be json');
    if (Number(sdkAppId) !== this.#sdkAppId) return refused(60006);
    if (query.get('identifier') !== this.#admin) return refused(60004);
    const userSig = query.get('usersig') ?? '';
    if (userSig === '') return refused(70002);
    const code = this.#userSigCode(userSig, Math.floor(at / 1000));
    return code === 0 ? undefined : refused(code);
  }

  /** 0 when the UserSig is good at `nowSeconds`, else its error code; verdicts are cached per UserSig. */
  #userSigCode(userSig: string, nowSeconds: number): number {
    let verdict = this.#userSigVerdicts.get(userSig);
    if (verdict === undefined) {
      const admin = { sdkAppId: this.#sdkAppId, identifier: this.#admin, secretKey: this.#secretKey };
      verdict = verifyUserSig(userSig, admin, Number.NEGATIVE_INFINITY);
      if (this.#userSigVerdicts.size >= MAX_CACHED_USERSIGS) this.#userSigVerdicts.clear();
      this.#userSigVerdicts.set(userSig, verdict);
    }
    if (!verdict.ok) return USERSIG_CODES[verdict.reason];
    return nowSeconds > verdict.fields.time + verdict.fields.expire ? USERSIG_CODES.expired : 0;
  }

  async #answer(
    req: IncomingMessage,
    res: ServerResponse,
    call: { at: number; sequence: number; arrival: Arrival; body: string | undefined; latencyMs: number },
  ): Promise<void> {
    const { arrival, body } = call;
    const request = parseJson(body);
    const accounts =
      isPlainObject(request) && Array.isArray(request.To_Account) ? request.To_Account.length : 0;
    if (arrival.kind === 'fault') {
      this.#record(call.sequence, { at: call.at, accounts, outcome: arrival.fault });
      if (!(await this.#delay(call.latencyMs))) return;
      if (arrival.fault === 'reset') req.socket.resetAndDestroy();
      else if (arrival.fault === 'http-status')
        sendText(res, arrival.httpStatus, htmlPage(arrival.httpStatus), 'text/html');
      else if (arrival.fault === 'malformed') sendText(res, 200, TRUNCATED_REPLY, 'application/json');
      return;
    }
    const reply =
      arrival.kind === 'refused' ? arrival.envelope : this.#portraitGet(body, request, arrival.failAccounts);
    this.#record(call.sequence, { at: call.at, accounts, outcome: reply.ErrorCode });
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

  /** Steps 8–10 of the file header. */
  #portraitGet(
    body: string | undefined,
    request: unknown,
    failAccounts: Readonly<Record<string, number>>,
  ): PortraitGetResponse {
    if (body === undefined) return fail(60002, `the request body exceeds ${MAX_BODY_BYTES} bytes`);
    if (request === NOT_JSON) return fail(60003);
    if (!isPlainObject(request)) return fail(60003, 'the body must be a JSON object');
    const { To_Account: accounts, TagList: tags } = request;
    if (accounts === undefined || accounts === null) return fail(40002, 'To_Account is missing');
    if (!Array.isArray(accounts)) return fail(40001, 'To_Account must be an array of UserIDs');
    if (accounts.length === 0) return fail(40002, 'To_Account is empty');
    if (accounts.length > TENCENT_MAX_ACCOUNTS)
      return fail(40001, `To_Account exceeds ${TENCENT_MAX_ACCOUNTS} accounts`);
    const badAccount = accounts.findIndex((account) => typeof account !== 'string' || account === '');
    if (badAccount >= 0) return fail(40001, `To_Account[${badAccount}] must be a non-empty string`);
    if (!Array.isArray(tags) || tags.length === 0)
      return fail(40001, 'TagList must be a non-empty array of tags');
    const badTag = tags.findIndex((tag) => typeof tag !== 'string');
    if (badTag >= 0) return fail(40001, `TagList[${badTag}] must be a string`);
    const unknownTag = (tags as string[]).find((tag) => !this.#knowsTag(tag));
    if (unknownTag !== undefined) return fail(40009, `${unknownTag} is not a profile field of this app`);

    const wanted = [...new Set(tags as string[])];
    const items = (accounts as string[]).map((account) => this.#profileItem(account, wanted, failAccounts));
    const failed = items.filter((item) => item.ResultCode !== 0).map((item) => item.To_Account);
    return {
      UserProfileItem: items,
      ...(failed.length > 0 && { Fail_Account: failed }),
      ActionStatus: 'OK',
      ErrorCode: 0,
      ErrorInfo: '',
      ErrorDisplay: '',
    };
  }

  #profileItem(
    account: string,
    tags: string[],
    failAccounts: Readonly<Record<string, number>>,
  ): UserProfileItem {
    const profile = this.#profiles.get(account);
    const forced = Object.hasOwn(failAccounts, account) ? failAccounts[account] : undefined;
    const code = forced ?? (profile === undefined ? 40003 : 0);
    if (code !== 0 || profile === undefined) {
      return {
        To_Account: account,
        ResultCode: code,
        ResultInfo: RESULT_INFO[code] ?? 'Err_Profile_PortraitGet_Fail',
      };
    }
    const found: ProfileItem[] = [];
    for (const tag of tags) {
      const value = profile.get(tag);
      if (value !== undefined) found.push({ Tag: tag, Value: value });
    }
    return { To_Account: account, ProfileItem: found, ResultCode: 0, ResultInfo: '' };
  }

  #record(sequence: number, call: EmulatorCall): void {
    let index = this.#callSequence.length;
    while (index > 0 && (this.#callSequence[index - 1] as number) > sequence) index--;
    this.#callSequence.splice(index, 0, sequence);
    this.calls.splice(index, 0, call);
  }

  #handleAdmin(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (!isLoopbackPeer(req.socket.remoteAddress)) {
      sendText(res, 403, 'the emulator test hooks answer loopback peers only');
      return;
    }
    const path = url.pathname.slice(ADMIN_PREFIX.length);
    const route = `${req.method} ${path.startsWith('profiles/') ? 'profiles/' : path}`;
    const apply = (change: (json: unknown) => void): void => {
      readBody(req).then(
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

const NOT_JSON = Symbol('not JSON');

function parseJson(text: string | undefined): unknown {
  if (text === undefined || text === '') return NOT_JSON;
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

/** What a reply cut off mid-way looks like. */
const TRUNCATED_REPLY = '{"UserProfileItem":[{"To_Account":"';

const htmlPage = (status: number): string => {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
};

function customTagsIn(profiles: Record<string, ProfileItem[]>): string[] {
  const tags = new Set<string>();
  for (const items of Object.values(profiles)) {
    for (const item of items) if (isCustomTag(item.Tag)) tags.add(item.Tag);
  }
  return [...tags];
}

function checkOptions(options: EmulatorOptions): void {
  if (!isWholeNumber(options.sdkAppId, 1))
    throw new EmulatorConfigError('sdkAppId must be a positive integer');
  if (!options.adminIdentifier) throw new EmulatorConfigError('adminIdentifier must not be empty');
  if (!options.secretKey) throw new EmulatorConfigError('secretKey must not be empty');
  if (options.ratePerSecond !== undefined && !isWholeNumber(options.ratePerSecond, 1))
    throw new EmulatorConfigError('ratePerSecond must be a positive integer');
}
