import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CallbackQuery,
  type CallbackSecret,
  callbackSign,
  verifyCallback,
} from '../../../shared/tencent/callback-signature.ts';

const SECRET: CallbackSecret = { sdkAppId: 1400000000, callbackToken: 'xxxxyyyy' };
const REQUEST_TIME = 1669872112;
const NOW_MS = REQUEST_TIME * 1000;

/** A webhook's URL parameters as Tencent signs them at `requestTime` with `token`. */
const signedQuery = (requestTime = REQUEST_TIME, token = 'xxxxyyyy'): CallbackQuery => ({
  SdkAppid: '1400000000',
  RequestTime: String(requestTime),
  Sign: callbackSign(token, String(requestTime)),
});

describe('callbackSign', () => {
  it('matches the reference vector sha256("xxxxyyyy" + "1669872112")', () => {
    // Act
    const sign = callbackSign('xxxxyyyy', '1669872112');

    // Assess
    expect(sign).toMatch(/^17773bc3[0-9a-f]{50}484061$/);
  });
});

describe('verifyCallback', () => {
  it('accepts a request Tencent signed with our token for our app', () => {
    // Act
    const verdict = verifyCallback(signedQuery(), SECRET, { nowMs: NOW_MS });

    // Assess
    expect(verdict).toEqual({ ok: true });
  });

  it('accepts the signature in upper case', () => {
    // Prepare
    const query = signedQuery();

    // Act
    const verdict = verifyCallback({ ...query, Sign: query.Sign?.toUpperCase() }, SECRET, { nowMs: NOW_MS });

    // Assess
    expect(verdict).toEqual({ ok: true });
  });

  describe.each([
    { skewSeconds: -60, ok: true },
    { skewSeconds: 60, ok: true },
    { skewSeconds: -61, ok: false },
    { skewSeconds: 61, ok: false },
    { skewSeconds: 3600, ok: false },
  ])('a RequestTime $skewSeconds s from now', ({ skewSeconds, ok }) => {
    it(ok ? 'is accepted' : 'is refused as stale', () => {
      // Prepare
      const query = signedQuery(REQUEST_TIME + skewSeconds);

      // Act
      const verdict = verifyCallback(query, SECRET, { nowMs: NOW_MS });

      // Assess
      expect(verdict).toEqual(ok ? { ok: true } : { ok: false, reason: 'stale' });
    });
  });

  describe.each<{ case: string; query: CallbackQuery; secret?: CallbackSecret; reason: string }>([
    {
      case: 'no token configured',
      query: signedQuery(),
      secret: { sdkAppId: 1400000000 },
      reason: 'no-token',
    },
    {
      case: 'an empty token configured',
      query: signedQuery(),
      secret: { sdkAppId: 1400000000, callbackToken: '' },
      reason: 'no-token',
    },
    { case: 'another app', query: { ...signedQuery(), SdkAppid: '1400000001' }, reason: 'wrong-app' },
    { case: 'no SdkAppid', query: { ...signedQuery(), SdkAppid: undefined }, reason: 'wrong-app' },
    { case: 'no Sign', query: { ...signedQuery(), Sign: undefined }, reason: 'unsigned' },
    { case: 'no RequestTime', query: { ...signedQuery(), RequestTime: undefined }, reason: 'unsigned' },
    { case: 'a Sign that is not hex', query: { ...signedQuery(), Sign: 'z'.repeat(64) }, reason: 'unsigned' },
    { case: 'a short Sign', query: { ...signedQuery(), Sign: '17773bc3' }, reason: 'unsigned' },
    {
      case: 'a Sign with a hex digit before it',
      query: { ...signedQuery(), Sign: `0${signedQuery().Sign}` },
      reason: 'unsigned',
    },
    {
      case: 'a Sign with a hex digit after it',
      query: { ...signedQuery(), Sign: `${signedQuery().Sign}0` },
      reason: 'unsigned',
    },
    {
      case: 'a RequestTime that is not a number',
      query: { ...signedQuery(), RequestTime: '1669872112.5' },
      reason: 'unsigned',
    },
    { case: 'another token', query: signedQuery(REQUEST_TIME, 'other-token'), reason: 'bad-signature' },
    {
      case: 'a Sign of another RequestTime',
      query: { ...signedQuery(), RequestTime: String(REQUEST_TIME + 1) },
      reason: 'bad-signature',
    },
    {
      case: 'a wrong Sign far in the past (the clock is not revealed to an unsigned caller)',
      query: { ...signedQuery(REQUEST_TIME - 3600, 'other-token') },
      reason: 'bad-signature',
    },
  ])('a request with $case', ({ query, secret, reason }) => {
    it(`is refused: ${reason}`, () => {
      // Act
      const verdict = verifyCallback(query, secret ?? SECRET, { nowMs: NOW_MS });

      // Assess
      expect(verdict).toEqual({ ok: false, reason });
    });
  });

  it('accepts every correctly signed request and refuses it once any one character of Sign changes', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 64 }),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        fc.nat({ max: 63 }),
        (token, requestTime, position) => {
          // Prepare
          const secret = { sdkAppId: 1400000000, callbackToken: token };
          const query = signedQuery(requestTime, token);
          const sign = query.Sign ?? '';
          const flipped = (Number.parseInt(sign.charAt(position), 16) ^ 1).toString(16);
          const forged = { ...query, Sign: sign.slice(0, position) + flipped + sign.slice(position + 1) };
          const options = { nowMs: requestTime * 1000 };

          // Act
          const good = verifyCallback(query, secret, options);
          const bad = verifyCallback(forged, secret, options);

          // Assess
          expect(good).toEqual({ ok: true });
          expect(bad).toEqual({ ok: false, reason: 'bad-signature' });
        },
      ),
    );
  });
});
