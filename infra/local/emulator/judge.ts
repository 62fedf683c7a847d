/**
 * The emulator's judge: what Tencent's REST API answers to one `v4/profile/portrait_get` call, decided
 * without I/O from the call, the faults in force, the app and its profiles (docs/local.md, "The Tencent IM
 * emulator"). The server in infra/local/emulator.ts only carries calls to it and answers back.
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
 *   6. `usersig` absent or empty → 70002; otherwise `verifyUserSig` (shared/tencent/usersig.ts)
 *      against the admin: unparsable or not v2 → 70003, made for another identifier → 70013, made
 *      for another SDKAppID → 70014 (the precise mismatch code; 70009 "another app's key" cannot be
 *      told apart from a bad HMAC, which answers 70005), HMAC wrong → 70005, expired → 70001
 *   7. the ceiling: more than `ratePerSecond` admitted calls with arrival in (t − 1000 ms, t] → 60007.
 *      Only calls that pass 1–6 and are admitted consume the budget: refused calls (60007 included)
 *      do not, so a client that backs off is served again as soon as the second slides on.
 *   8. body: over 1 MiB (MAX_BODY_BYTES) → 60002; not a JSON object → 60003
 *   9. `To_Account` missing or empty → 40002; not a list of non-empty strings, or more than 100 → 40001;
 *      `TagList` missing, empty or not a list of strings → 40001; a tag that is neither standard nor
 *      one of the app's configured custom tags → 40009 (the whole call fails)
 *  10. answer: `UserProfileItem` in request order; an account with no profile → ResultCode 40003
 *      (or, with the `unknownFailsCall` fault, the whole call fails with 40003);
 *      `Fail_Account` lists failed accounts and is present only when one failed; tags never set are
 *      omitted from `ProfileItem`; uint32 tags are JSON numbers. Where Tencent's docs are silent
 *      (unknown accounts, unset tags) the emulator picks the documented-looking variant.
 *
 * Steps 1–7 are {@link judgeArrival}, decided when the call arrives so the ceiling (sliding-second.ts)
 * sees calls in arrival order; steps 8–10 are {@link answerPortraitGet}, once the body has been read.
 */

import { TENCENT_MAX_ACCOUNTS } from '../../../shared/tencent/limits.ts';
import type {
  PortraitGetResponse,
  ProfileItem,
  ProfileValue,
  TencentEnvelope,
  UserProfileItem,
} from '../../../shared/tencent/portrait-types.ts';
import { PORTRAIT_GET_PATH } from '../../../shared/tencent/rest-query.ts';
import type { UserSigRejection, UserSigVerdict } from '../../../shared/tencent/usersig.ts';
import type { Faults } from './faults.ts';
import { isJsonObject, NOT_JSON, UINT32_MAX } from './json-values.ts';

/** Bodies larger than this are not read; the call answers 60002. */
export const MAX_BODY_BYTES = 1 << 20;
/** What the server hands {@link answerPortraitGet} for a body past {@link MAX_BODY_BYTES}. */
export const BODY_TOO_LARGE = Symbol('body too large');

/** The app admin the URL checks compare against. */
export interface AppAdmin {
  readonly sdkAppId: number;
  readonly identifier: string;
  /** The verdict on `userSig` against this admin, expiry aside (it depends on the arrival). */
  verdictOf(userSig: string): UserSigVerdict;
}

/** The app's profile fields and profiles, as portrait_get reads them. */
export interface AppProfiles {
  knowsTag(tag: string): boolean;
  /** The account's profile by tag; undefined for an account that has none. */
  profile(account: string): ReadonlyMap<string, ProfileValue> | undefined;
}

/** A call as it arrives, before its body is read. */
export interface ArrivingCall {
  method: string | undefined;
  url: URL;
  /** Arrival, epoch ms. */
  at: number;
  /** The faults that apply to this call. */
  faults: Faults | undefined;
}

/** What was decided when a call arrived, before its body was read. */
export type Arrival =
  | { kind: 'fault'; fault: 'reset' | 'hang' | 'malformed' }
  | { kind: 'fault'; fault: 'http-status'; httpStatus: number }
  | { kind: 'refused'; envelope: TencentEnvelope; httpStatus: number }
  | { kind: 'admitted'; failAccounts: Readonly<Record<string, number>>; unknownFailsCall?: true };

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
  40003: 'Err_Profile_PortraitGet_Account_Not_Exist',
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

const refused = (code: number, detail?: string, httpStatus = 200): Arrival => ({
  kind: 'refused',
  envelope: fail(code, detail),
  httpStatus,
});

/**
 * Steps 1–7 of the file header. `admit` is the ceiling: it is asked only once steps 1–6 passed, and
 * `false` refuses the call with 60007.
 */
export function judgeArrival(call: ArrivingCall, admin: AppAdmin, admit: () => boolean): Arrival {
  const { faults, url } = call;
  if (faults?.reset) return { kind: 'fault', fault: 'reset' };
  if (faults?.hang) return { kind: 'fault', fault: 'hang' };
  if (faults?.httpStatus !== undefined)
    return { kind: 'fault', fault: 'http-status', httpStatus: faults.httpStatus };
  if (faults?.malformedJson) return { kind: 'fault', fault: 'malformed' };
  if (faults?.forceCode !== undefined) return refused(faults.forceCode);
  if (call.method !== 'POST') return refused(60002, 'the HTTP method must be POST', 405);
  if (url.pathname !== PORTRAIT_GET_PATH) return refused(60002, `invalid command ${url.pathname}`);
  const urlRefusal = checkUrl(url.searchParams, admin, call.at);
  if (urlRefusal !== undefined) return urlRefusal;
  if (!admit()) return refused(60007);
  return {
    kind: 'admitted',
    failAccounts: faults?.failAccounts ?? {},
    ...(faults?.unknownFailsCall && { unknownFailsCall: true }),
  };
}

/** Steps 4–6. */
function checkUrl(query: URLSearchParams, admin: AppAdmin, at: number): Arrival | undefined {
  for (const name of ['sdkappid', 'identifier', 'random', 'contenttype']) {
    if (!query.has(name)) return refused(60002, `${name} is missing from the URL`);
  }
  const sdkAppId = query.get('sdkappid') as string;
  if (!/^\d{1,20}$/.test(sdkAppId)) return refused(60002, 'sdkappid is not a number');
  const random = query.get('random') as string;
  if (!/^\d{1,10}$/.test(random) || Number(random) > UINT32_MAX)
    return refused(60002, 'random is not an unsigned 32-bit integer');
  if (query.get('contenttype') !== 'json') return refused(60002, 'contenttype must be json');
  if (Number(sdkAppId) !== admin.sdkAppId) return refused(60006);
  if (query.get('identifier') !== admin.identifier) return refused(60004);
  const userSig = query.get('usersig') ?? '';
  if (userSig === '') return refused(70002);
  const code = userSigCode(admin.verdictOf(userSig), Math.floor(at / 1000));
  return code === 0 ? undefined : refused(code);
}

/** 0 when a UserSig with this verdict (expiry aside) is good at `nowSeconds`, else its Tencent code. */
export function userSigCode(verdict: UserSigVerdict, nowSeconds: number): number {
  if (!verdict.ok) return USERSIG_CODES[verdict.reason];
  return nowSeconds > verdict.fields.time + verdict.fields.expire ? USERSIG_CODES.expired : 0;
}

/**
 * Steps 8–10 of the file header, for an admitted call. `request` is the decoded body, `NOT_JSON`
 * or {@link BODY_TOO_LARGE}; `failAccounts` (a fault) forces per-account codes; `unknownFailsCall`
 * (a fault) fails a call holding an account without a profile with 40003.
 */
export function answerPortraitGet(
  request: unknown,
  failAccounts: Readonly<Record<string, number>>,
  profiles: AppProfiles,
  unknownFailsCall = false,
): PortraitGetResponse {
  if (request === BODY_TOO_LARGE) return fail(60002, `the request body exceeds ${MAX_BODY_BYTES} bytes`);
  if (request === NOT_JSON) return fail(60003);
  if (!isJsonObject(request)) return fail(60003, 'the body must be a JSON object');
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
  const unknownTag = (tags as string[]).find((tag) => !profiles.knowsTag(tag));
  if (unknownTag !== undefined) return fail(40009, `${unknownTag} is not a profile field of this app`);

  if (unknownFailsCall && (accounts as string[]).some((account) => profiles.profile(account) === undefined))
    return fail(40003, 'an account of To_Account does not exist');
  const wanted = [...new Set(tags as string[])];
  const items = (accounts as string[]).map((account) =>
    profileItem(account, profiles.profile(account), wanted, failAccounts),
  );
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

function profileItem(
  account: string,
  profile: ReadonlyMap<string, ProfileValue> | undefined,
  tags: string[],
  failAccounts: Readonly<Record<string, number>>,
): UserProfileItem {
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
