/**
 * The one table that maps Tencent codes to behaviour (docs/tencent.md, "Error codes").
 * Every retry decision in the gateway reads this table; nothing else interprets codes.
 */
export type Disposition =
  /** Not an error. */
  | 'success'
  /** A per-account code on an otherwise successful call: report it for that account only. */
  | 'account-failure'
  /** Transient on Tencent's side: retry with backoff, each attempt taking its own call slot. */
  | 'retry'
  /** Frequency ceiling hit: back off and retry later (SQS) or answer 429 (HTTP). */
  | 'rate-limited'
  /** The UserSig is stale: sign a new one and retry once. */
  | 'resign'
  /** The UserSig does not check out: re-read the secret (it may have rotated), sign anew, retry once. */
  | 'reload-credentials'
  /** Tencent locked us out after failed signature checks: nothing works for a minute. */
  | 'wait-minute'
  /** The deployment is misconfigured (region, app, admin, allowlist): an operator must act. */
  | 'fatal-config'
  /** The request itself is wrong: retrying it can never succeed. */
  | 'fatal-request';

export interface CodeRule {
  disposition: Disposition;
  /** What a human should do or know; never contains a secret. */
  hint: string;
}

const rule = (disposition: Disposition, hint: string): CodeRule => ({ disposition, hint });

export const CODE_TABLE: Readonly<Record<number, CodeRule>> = {
  0: rule('success', 'OK'),
  40001: rule('fatal-request', 'a request parameter is wrong; ErrorInfo names it'),
  40002: rule('fatal-request', 'To_Account is missing'),
  40003: rule('account-failure', 'the account does not exist in this app'),
  40004: rule('fatal-config', 'the call needs app admin permission: check TIM_ADMIN_IDENTIFIER'),
  40006: rule('retry', 'Tencent internal error; retry later'),
  40007: rule('fatal-request', 'no permission to read that profile field'),
  40009: rule('fatal-request', 'that profile field tag does not exist in this app'),
  // Our own request was malformed: a gateway bug, not the caller's fault (so 502, not 400).
  60002: rule('fatal-config', 'Tencent could not parse the HTTP request the gateway sent: a gateway bug'),
  60003: rule('fatal-config', 'Tencent could not parse the JSON the gateway sent: a gateway bug'),
  60004: rule('fatal-config', 'the identifier or signature in the URL is wrong: check TIM_ADMIN_IDENTIFIER'),
  60005: rule('fatal-config', 'the identifier or signature in the URL is wrong: check the secret key'),
  60006: rule('fatal-config', 'the SDKAppID is invalid: check TIM_SDKAPPID'),
  60007: rule('rate-limited', "this REST API's call frequency was exceeded"),
  60008: rule('retry', 'Tencent timed out'),
  60010: rule('fatal-config', 'the call needs app admin permission: check TIM_ADMIN_IDENTIFIER'),
  60011: rule('rate-limited', "the SDKAppID's call frequency was exceeded"),
  60018: rule('rate-limited', 'calls too frequent; retry later'),
  60019: rule('rate-limited', 'calls too frequent; retry later'),
  60020: rule('fatal-config', "the app's package expired or is not yet active"),
  60021: rule('fatal-config', "the caller's IP is outside the app's allowlist"),
  70001: rule('resign', 'the UserSig expired'),
  70002: rule('reload-credentials', 'the UserSig is empty'),
  70003: rule('reload-credentials', 'the UserSig could not be parsed'),
  70005: rule('reload-credentials', 'the UserSig failed its check: the secret key may have rotated'),
  70009: rule('reload-credentials', "the UserSig was made with another app's key: check the secret"),
  70013: rule('fatal-config', 'the identifier differs from the one the UserSig was made for'),
  70014: rule('fatal-config', 'the SDKAppID differs from the one the UserSig was made for'),
  70016: rule('fatal-config', 'check TIM_REGION: this SDKAppID is not in that data center'),
  70020: rule('fatal-config', 'check TIM_REGION: this SDKAppID is not in that data center'),
  70050: rule('wait-minute', 'too many failed signature checks: Tencent refuses calls for a minute'),
  70052: rule('resign', 'the UserSig was invalidated'),
  70169: rule('retry', 'Tencent internal timeout'),
  70500: rule('retry', 'Tencent internal error'),
};

/** Unknown codes are treated as Tencent-side failures that are not worth repeating blindly. */
const UNKNOWN: CodeRule = rule('fatal-config', 'an error code this gateway does not know');

/** Looks a code up in {@link CODE_TABLE}; unknown codes are fatal, never retried blindly. */
export function ruleFor(code: number): CodeRule {
  return CODE_TABLE[code] ?? UNKNOWN;
}

const RETRYABLE: ReadonlySet<Disposition> = new Set([
  'retry',
  'rate-limited',
  'resign',
  'reload-credentials',
]);

/** Whether another attempt (with its own call slot) could succeed. */
export function isRetryable(disposition: Disposition): boolean {
  return RETRYABLE.has(disposition);
}
