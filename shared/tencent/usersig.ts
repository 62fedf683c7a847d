import { createHmac, timingSafeEqual } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';

/**
 * Lifetime of each UserSig the gateway signs: one day. Official libraries default to 180 days; a
 * short life limits what a leaked UserSig is worth, and renewing costs one HMAC.
 */
export const DEFAULT_USERSIG_LIFETIME_SECONDS = 86_400;

export interface UserSigIdentity {
  sdkAppId: number;
  identifier: string;
  secretKey: string;
}

export interface SignOptions {
  /** Lifetime in seconds counted from the signing time. Default {@link DEFAULT_USERSIG_LIFETIME_SECONDS}. */
  lifetimeSeconds?: number;
  /** Signing time in Unix seconds. Default: now. */
  nowSeconds?: number;
}

/** The fields a UserSig v2 carries once decoded. */
export interface UserSigFields {
  version: string;
  identifier: string;
  sdkAppId: number;
  time: number;
  expire: number;
  sig: string;
}

export type UserSigRejection =
  | 'malformed'
  | 'wrong-version'
  | 'wrong-identifier'
  | 'wrong-sdkappid'
  | 'bad-signature'
  | 'expired';

export type UserSigVerdict = { ok: true; fields: UserSigFields } | { ok: false; reason: UserSigRejection };

const nowInSeconds = (): number => Math.floor(Date.now() / 1000);

/** HMAC-SHA256 over Tencent's newline-terminated content; the key is the SecretKey's UTF-8 bytes. */
export function userSigHmac(
  secretKey: string,
  identifier: string,
  sdkAppId: number,
  time: number,
  expire: number,
): string {
  const content =
    `TLS.identifier:${identifier}\n` +
    `TLS.sdkappid:${sdkAppId}\n` +
    `TLS.time:${time}\n` +
    `TLS.expire:${expire}\n`;
  return createHmac('sha256', secretKey).update(content).digest('base64');
}

const toUrlSafe = (base64: string): string =>
  base64.replaceAll('+', '*').replaceAll('/', '-').replaceAll('=', '_');
const fromUrlSafe = (sig: string): string =>
  // Stryker disable next-line StringLiteral: Node decodes base64 without its padding; only bytes after the padding, which no signer writes, could tell
  sig.replaceAll('*', '+').replaceAll('-', '/').replaceAll('_', '=');

/** Signs a UserSig v2 (docs/tencent.md, "UserSig"). */
export function signUserSig(identity: UserSigIdentity, options: SignOptions = {}): string {
  const time = options.nowSeconds ?? nowInSeconds();
  const expire = options.lifetimeSeconds ?? DEFAULT_USERSIG_LIFETIME_SECONDS;
  const document = {
    'TLS.ver': '2.0',
    'TLS.identifier': identity.identifier,
    'TLS.sdkappid': identity.sdkAppId,
    'TLS.time': time,
    'TLS.expire': expire,
    'TLS.sig': userSigHmac(identity.secretKey, identity.identifier, identity.sdkAppId, time, expire),
  };
  return toUrlSafe(deflateSync(Buffer.from(JSON.stringify(document))).toString('base64'));
}

/** Decodes a UserSig without checking it; undefined when it is not a well-formed v2 UserSig. */
export function decodeUserSig(userSig: string): UserSigFields | undefined {
  try {
    const json: unknown = JSON.parse(
      inflateSync(Buffer.from(fromUrlSafe(userSig), 'base64')).toString('utf8'),
    );
    // Stryker disable next-line ConditionalExpression,LogicalOperator: the field checks below refuse any other JSON too; this narrows the type
    if (typeof json !== 'object' || json === null) return undefined;
    const doc = json as Record<string, unknown>;
    const fields = {
      version: doc['TLS.ver'],
      identifier: doc['TLS.identifier'],
      sdkAppId: Number(doc['TLS.sdkappid']),
      time: Number(doc['TLS.time']),
      expire: Number(doc['TLS.expire']),
      sig: doc['TLS.sig'],
    };
    if (typeof fields.version !== 'string' || typeof fields.identifier !== 'string') return undefined;
    if (typeof fields.sig !== 'string') return undefined;
    if (![fields.sdkAppId, fields.time, fields.expire].every(Number.isSafeInteger)) return undefined;
    return fields as UserSigFields;
  } catch {
    // Not base64 of deflated JSON: as malformed as the shapes refused above.
  }
  return undefined;
}

/** Verifies a UserSig the way Tencent does; the reason tells which check failed. */
export function verifyUserSig(
  userSig: string,
  expected: UserSigIdentity,
  nowSeconds: number = nowInSeconds(),
): UserSigVerdict {
  const fields = decodeUserSig(userSig);
  if (!fields) return { ok: false, reason: 'malformed' };
  if (fields.version !== '2.0') return { ok: false, reason: 'wrong-version' };
  if (fields.identifier !== expected.identifier) return { ok: false, reason: 'wrong-identifier' };
  if (fields.sdkAppId !== expected.sdkAppId) return { ok: false, reason: 'wrong-sdkappid' };
  const want = Buffer.from(
    userSigHmac(expected.secretKey, fields.identifier, fields.sdkAppId, fields.time, fields.expire),
  );
  const got = Buffer.from(fields.sig);
  if (want.length !== got.length || !timingSafeEqual(want, got))
    return { ok: false, reason: 'bad-signature' };
  if (nowSeconds > fields.time + fields.expire) return { ok: false, reason: 'expired' };
  return { ok: true, fields };
}
