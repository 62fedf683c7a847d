import { createRequire } from 'node:module';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeUserSig, signUserSig, userSigHmac, verifyUserSig } from '../../../shared/tencent/usersig.ts';
import { PUBLISHED_SECRET_KEY, testCredentials } from '../../support/tencent-credentials.ts';

/** Tencent's official Node library (CommonJS, untyped): the reference we must agree with. */
const { Api: OfficialApi } = createRequire(import.meta.url)('tls-sig-api-v2') as {
  Api: new (sdkAppId: number, key: string) => { genUserSig(identifier: string, expire: number): string };
};

const VECTOR = {
  secretKey: PUBLISHED_SECRET_KEY,
  sdkAppId: 1400000000,
  identifier: 'xiaojun',
  time: 1600000000,
  expire: 15552000,
  sig: '1Z5PngDjGaufeSiPoBuxdHY7EK3JTdAjMP93S4KvV3M=',
};
const VECTOR_CREDENTIALS = testCredentials({ identifier: VECTOR.identifier, sdkAppId: VECTOR.sdkAppId });
/** What the vector's UserSig decodes to. */
const VECTOR_FIELDS = {
  version: '2.0',
  identifier: VECTOR.identifier,
  sdkAppId: VECTOR.sdkAppId,
  time: VECTOR.time,
  expire: VECTOR.expire,
  sig: VECTOR.sig,
};

/** Encodes an arbitrary document the way Tencent does, so a test can forge or tamper with a UserSig. */
const encodeDocument = (document: Record<string, unknown>): string =>
  deflateSync(Buffer.from(JSON.stringify(document)))
    .toString('base64')
    .replaceAll('+', '*')
    .replaceAll('/', '-')
    .replaceAll('=', '_');

const identity = testCredentials({ identifier: 'administrator' });
const SIGNED_AT = 1_700_000_000;
const LIFETIME = 86_400;
const signed = signUserSig(identity, { nowSeconds: SIGNED_AT, lifetimeSeconds: LIFETIME });

const identifiers = fc.string({ minLength: 1, maxLength: 32 });
const times = fc.integer({ min: 1_000_000_000, max: 4_000_000_000 });
const lifetimes = fc.integer({ min: 1, max: 180 * 86_400 });

describe('UserSig v2', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reproduces the HMAC of the published test vector', () => {
    // Act
    const hmac = userSigHmac(
      VECTOR.secretKey,
      VECTOR.identifier,
      VECTOR.sdkAppId,
      VECTOR.time,
      VECTOR.expire,
    );

    // Assess
    expect(hmac).toBe(VECTOR.sig);
  });

  it('signs the published vector into a UserSig that decodes to its fields', () => {
    // Act
    const userSig = signUserSig(VECTOR_CREDENTIALS, {
      nowSeconds: VECTOR.time,
      lifetimeSeconds: VECTOR.expire,
    });

    // Assess
    expect(userSig).toMatch(/^[A-Za-z0-9*_-]+$/);
    expect(decodeUserSig(userSig)).toEqual(VECTOR_FIELDS);
  });

  it('accepts a UserSig up to and including its last second', () => {
    // Act
    const atLastSecond = verifyUserSig(signed, identity, SIGNED_AT + LIFETIME);

    // Assess
    expect(atLastSecond.ok).toBe(true);
  });

  const tamperedExpiry = (): string => {
    const fields = decodeUserSig(signed);
    if (!fields) throw new Error('fixture UserSig does not decode');
    return encodeDocument({
      'TLS.ver': fields.version,
      'TLS.identifier': fields.identifier,
      'TLS.sdkappid': fields.sdkAppId,
      'TLS.time': fields.time,
      'TLS.expire': fields.expire * 1000,
      'TLS.sig': fields.sig,
    });
  };

  describe.each([
    {
      case: 'one second after expiry',
      userSig: () => signed,
      expected: identity,
      now: SIGNED_AT + LIFETIME + 1,
      reason: 'expired',
    },
    {
      case: 'a lifetime stretched after signing',
      userSig: tamperedExpiry,
      expected: identity,
      now: SIGNED_AT,
      reason: 'bad-signature',
    },
    {
      case: 'another secret key',
      userSig: () => signed,
      expected: { ...identity, secretKey: 'rotated-key' },
      now: SIGNED_AT,
      reason: 'bad-signature',
    },
    {
      case: 'another identifier',
      userSig: () => signed,
      expected: { ...identity, identifier: 'someone' },
      now: SIGNED_AT,
      reason: 'wrong-identifier',
    },
    {
      case: 'another SDKAppID',
      userSig: () => signed,
      expected: { ...identity, sdkAppId: 1400000001 },
      now: SIGNED_AT,
      reason: 'wrong-sdkappid',
    },
    {
      case: 'a version other than 2.0',
      userSig: () =>
        encodeDocument({
          'TLS.ver': '1.0',
          'TLS.identifier': 'x',
          'TLS.sdkappid': 1,
          'TLS.time': 1,
          'TLS.expire': 1,
          'TLS.sig': 'x',
        }),
      expected: identity,
      now: SIGNED_AT,
      reason: 'wrong-version',
    },
    {
      case: 'bytes that do not inflate',
      userSig: () => 'bm90IHpsaWI_',
      expected: identity,
      now: SIGNED_AT,
      reason: 'malformed',
    },
    { case: 'an empty string', userSig: () => '', expected: identity, now: SIGNED_AT, reason: 'malformed' },
  ])('rejects $case', ({ userSig, expected, now, reason }) => {
    it(`with reason ${reason}`, () => {
      // Act
      const verdict = verifyUserSig(userSig(), expected, now);

      // Assess
      expect(verdict).toEqual({ ok: false, reason });
    });
  });

  it('verifies whatever it signs, for any identifier, time and lifetime', () => {
    fc.assert(
      fc.property(identifiers, times, lifetimes, (identifier, time, lifetime) => {
        // Prepare
        const credentials = testCredentials({ identifier });

        // Act
        const userSig = signUserSig(credentials, { nowSeconds: time, lifetimeSeconds: lifetime });

        // Assess
        const verdict = verifyUserSig(userSig, credentials, time + lifetime);
        expect(verdict).toEqual({
          ok: true,
          fields: {
            version: '2.0',
            identifier,
            sdkAppId: credentials.sdkAppId,
            time,
            expire: lifetime,
            sig: expect.any(String),
          },
        });
        expect(verifyUserSig(userSig, credentials, time + lifetime + 1)).toEqual({
          ok: false,
          reason: 'expired',
        });
      }),
    );
  });

  it("agrees with Tencent's official library on the published vector", () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(VECTOR.time * 1000);
    const official = new OfficialApi(VECTOR.sdkAppId, VECTOR.secretKey);

    // Act
    const userSig = official.genUserSig(VECTOR.identifier, VECTOR.expire);

    // Assess
    expect(verifyUserSig(userSig, VECTOR_CREDENTIALS, VECTOR.time)).toEqual({
      ok: true,
      fields: VECTOR_FIELDS,
    });
  });

  it("signs the very UserSig Tencent's official library signs, for any input", () => {
    fc.assert(
      fc.property(identifiers, times, lifetimes, (identifier, time, lifetime) => {
        // Prepare
        vi.useFakeTimers({ toFake: ['Date'] });
        vi.setSystemTime(time * 1000);
        const credentials = testCredentials({ identifier });
        const official = new OfficialApi(credentials.sdkAppId, credentials.secretKey);

        // Act
        const theirs = official.genUserSig(identifier, lifetime);
        const ours = signUserSig(credentials, { nowSeconds: time, lifetimeSeconds: lifetime });

        // Assess
        expect(ours).toBe(theirs);
        expect(decodeUserSig(theirs)).toEqual(decodeUserSig(ours));
        expect(verifyUserSig(theirs, credentials, time).ok).toBe(true);
      }),
    );
  });
});

describe('UserSig v2 in detail', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A well-formed document for `identity`, signed at SIGNED_AT, with `fields` laid over it. */
  const documentWith = (fields: Record<string, unknown>) => ({
    'TLS.ver': '2.0',
    'TLS.identifier': identity.identifier,
    'TLS.sdkappid': identity.sdkAppId,
    'TLS.time': SIGNED_AT,
    'TLS.expire': LIFETIME,
    'TLS.sig': userSigHmac(identity.secretKey, identity.identifier, identity.sdkAppId, SIGNED_AT, LIFETIME),
    ...fields,
  });

  it('signs at the current time, and checks against it, when no time is given', () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(SIGNED_AT * 1000 + 999);

    // Act
    const userSig = signUserSig(identity, { lifetimeSeconds: LIFETIME });
    const fresh = verifyUserSig(userSig, identity);
    vi.setSystemTime((SIGNED_AT + LIFETIME + 1) * 1000);
    const stale = verifyUserSig(userSig, identity);

    // Assess
    expect(decodeUserSig(userSig)).toMatchObject({ time: SIGNED_AT, expire: LIFETIME });
    expect(fresh.ok).toBe(true);
    expect(stale).toEqual({ ok: false, reason: 'expired' });
  });

  it('decodes a well-formed document to its fields', () => {
    // Act
    const fields = decodeUserSig(encodeDocument(documentWith({})));

    // Assess
    expect(fields).toEqual({
      version: '2.0',
      identifier: identity.identifier,
      sdkAppId: identity.sdkAppId,
      time: SIGNED_AT,
      expire: LIFETIME,
      sig: expect.any(String),
    });
  });

  describe.each<{ case: string; document: unknown }>([
    { case: 'JSON null', document: null },
    { case: 'a JSON number', document: 2 },
    { case: 'a version that is no string', document: documentWith({ 'TLS.ver': 2 }) },
    { case: 'no identifier', document: documentWith({ 'TLS.identifier': undefined }) },
    { case: 'an identifier that is no string', document: documentWith({ 'TLS.identifier': 7 }) },
    { case: 'no sig', document: documentWith({ 'TLS.sig': undefined }) },
    { case: 'an SDKAppID that is no number', document: documentWith({ 'TLS.sdkappid': 'app' }) },
    { case: 'a fractional time', document: documentWith({ 'TLS.time': SIGNED_AT + 0.5 }) },
    { case: 'no expire', document: documentWith({ 'TLS.expire': undefined }) },
  ])('a document with $case', ({ document }) => {
    it('does not decode, and is refused as malformed', () => {
      // Prepare
      const userSig = encodeDocument(document as Record<string, unknown>);

      // Act
      const fields = decodeUserSig(userSig);
      const verdict = verifyUserSig(userSig, identity, SIGNED_AT);

      // Assess
      expect(fields).toBeUndefined();
      expect(verdict).toEqual({ ok: false, reason: 'malformed' });
    });
  });

  it('refuses a signature of another length as a bad signature, without throwing', () => {
    // Prepare
    const userSig = encodeDocument(documentWith({ 'TLS.sig': 'short' }));

    // Act
    const verdict = verifyUserSig(userSig, identity, SIGNED_AT);

    // Assess
    expect(verdict).toEqual({ ok: false, reason: 'bad-signature' });
  });
});
