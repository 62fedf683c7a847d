import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ResultTooLargeError } from '../../../shared/errors.ts';
import {
  jsonResponseBytesAtMost,
  LAMBDA_RESPONSE_MAX_BYTES,
  lambdaReply,
  responseBytes,
} from '../../../shared/http/lambda-reply.ts';
import { replyFor } from '../../../shared/portrait/merge.ts';
import type { PortraitGetResponse, UserProfileItem } from '../../../shared/tencent/portrait-types.ts';
import { rejectionOf } from '../../support/rejection-of.ts';

const HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'X-Upstream-Calls': '10' };

/** `count` served accounts, each with `tags` string values made by `value`. */
function replyOf(count: number, tags: number, value: (i: number, t: number) => string): PortraitGetResponse {
  const items = new Map<string, UserProfileItem>();
  const accounts = Array.from({ length: count }, (_, i) => `user${String(i).padStart(4, '0')}`);
  accounts.forEach((To_Account, i) => {
    const ProfileItem = Array.from({ length: tags }, (_, t) => ({
      Tag: `Tag_Profile_Custom_t${t}`,
      Value: value(i, t),
    }));
    items.set(To_Account, { To_Account, ProfileItem, ResultCode: 0, ResultInfo: '' });
  });
  return replyFor(accounts, items);
}

/** An 8.4 MB reply: 1000 accounts × 16 string tags of 500 bytes, values alike (compressible) or not. */
const repetitive = () => replyOf(1000, 16, () => 'x'.repeat(500));
const incompressible = () => replyOf(1000, 16, () => randomBytes(375).toString('base64'));

/** The reply the caller reads: the body, decompressed when it was compressed. */
function readBack(result: APIGatewayProxyResult): PortraitGetResponse {
  const bytes = Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  const text =
    result.headers?.['Content-Encoding'] === 'gzip'
      ? gunzipSync(bytes).toString('utf8')
      : bytes.toString('utf8');
  return JSON.parse(text) as PortraitGetResponse;
}

/** The reply to a request of the first `count` accounts of `reply`. */
const firstAccounts = (reply: PortraitGetResponse, count: number): PortraitGetResponse => {
  const items = reply.UserProfileItem ?? [];
  return replyFor(
    items.slice(0, count).map((item) => item.To_Account),
    new Map(items.map((item) => [item.To_Account, item])),
  );
};

describe('lambdaReply', () => {
  it('answers a caller that does not accept gzip with the JSON text', async () => {
    // Prepare
    const reply = replyOf(3, 2, (i, t) => `v${i}.${t}`);

    // Act
    const result = await lambdaReply(reply, { headers: HEADERS, gzip: false });

    // Assess
    expect(result).toEqual({
      statusCode: 200,
      headers: { ...HEADERS, Vary: 'Accept-Encoding' },
      body: JSON.stringify(reply),
    });
  });

  it('compresses for a caller that accepts gzip: base64 bytes with Content-Encoding: gzip', async () => {
    // Prepare
    const reply = replyOf(3, 2, (i, t) => `v${i}.${t}`);

    // Act
    const result = await lambdaReply(reply, { headers: HEADERS, gzip: true });

    // Assess
    expect(result).toMatchObject({
      statusCode: 200,
      isBase64Encoded: true,
      headers: { ...HEADERS, Vary: 'Accept-Encoding', 'Content-Encoding': 'gzip' },
    });
    expect(readBack(result)).toEqual(reply);
  });

  it("fits the issue's 8.4 MB reply into one Lambda response once compressed", async () => {
    // Prepare
    const reply = repetitive();

    // Act
    const result = await lambdaReply(reply, { headers: HEADERS, gzip: true });

    // Assess
    expect(Buffer.byteLength(JSON.stringify(reply))).toBeGreaterThan(8_000_000);
    expect(responseBytes(result)).toBeLessThanOrEqual(LAMBDA_RESPONSE_MAX_BYTES);
    expect(readBack(result)).toEqual(reply);
  });

  describe.each([
    { case: 'compressible values, gzip not accepted', reply: repetitive, gzip: false },
    { case: 'incompressible values, gzip accepted', reply: incompressible, gzip: true },
    { case: 'incompressible values, gzip not accepted', reply: incompressible, gzip: false },
  ])('the 8.4 MB reply with $case', ({ reply: make, gzip }) => {
    it('is refused with 413 saying how many accounts fit, and that many do', async () => {
      // Prepare
      const reply = make();

      // Act
      const error = await rejectionOf(lambdaReply(reply, { headers: HEADERS, gzip }));

      // Assess
      expect(error).toBeInstanceOf(ResultTooLargeError);
      const { accountsThatFit } = error as ResultTooLargeError;
      expect(accountsThatFit).toBeGreaterThan(500);
      expect(accountsThatFit).toBeLessThan(1000);
      const smaller = await lambdaReply(firstAccounts(reply, accountsThatFit), { headers: HEADERS, gzip });
      expect(responseBytes(smaller)).toBeLessThanOrEqual(LAMBDA_RESPONSE_MAX_BYTES);
    });
  });

  it('either answers within the limit or says a count of accounts that then fits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 4 }),
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 2_000, max: 20_000 }),
        async (count, tags, seed, random, gzip, maxBytes) => {
          // Prepare: values alike or not, with characters JSON escapes
          const value = (i: number, t: number) =>
            random ? `${seed}${randomBytes(20 + ((i * t) % 30)).toString('latin1')}` : seed;
          const reply = replyOf(count, tags, value);
          const options = { headers: HEADERS, gzip, maxBytes };

          // Act
          const outcome = await lambdaReply(reply, options).catch((error: unknown) => error);

          // Assess
          if (outcome instanceof ResultTooLargeError) {
            expect(outcome.accountsThatFit).toBeLessThan(count);
            if (outcome.accountsThatFit > 0) {
              const smaller = await lambdaReply(firstAccounts(reply, outcome.accountsThatFit), options);
              expect(responseBytes(smaller)).toBeLessThanOrEqual(maxBytes);
            }
          } else {
            const result = outcome as APIGatewayProxyResult;
            expect(responseBytes(result)).toBeLessThanOrEqual(maxBytes);
            expect(readBack(result)).toEqual(reply);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('jsonResponseBytesAtMost', () => {
  it('is never below the bytes the runtime counts, for any JSON body (escapes, non-ASCII, surrogates)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (value, text) => {
        // Prepare: JSON text of any value, and of any string (control characters, lone surrogates).
        for (const body of [JSON.stringify(value) ?? 'null', JSON.stringify(text)]) {
          const result: APIGatewayProxyResult = { statusCode: 200, headers: HEADERS, body };

          // Act / Assess
          expect(jsonResponseBytesAtMost(result)).toBeGreaterThanOrEqual(responseBytes(result));
        }
      }),
    );
  });
});
