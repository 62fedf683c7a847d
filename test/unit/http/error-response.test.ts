import httpJsonBodyParser from '@middy/http-json-body-parser';
import { describe, expect, it } from 'vitest';
import {
  BodyTooLargeError,
  DependencyError,
  InvalidRequestError,
  InvocationTimeoutError,
  NoSlotError,
  ResultTooLargeError,
  TencentApiError,
  TencentProtocolError,
  TencentTransportError,
  UpstreamLockedError,
} from '../../../shared/errors.ts';
import { errorResponse } from '../../../shared/http/error-response.ts';

const LEAK = 'usersig=eJwtjFELgjAUhf-LnqW7TbdFsiZ*SECRETKEY';

/** The error @middy/http-json-body-parser really throws for a malformed body. */
async function middyParseError(body: string): Promise<unknown> {
  const request = { event: { headers: { 'content-type': 'application/json' }, body } };
  try {
    await httpJsonBodyParser().before?.(request as never);
  } catch (error) {
    return error;
  }
  throw new Error('the parser accepted the body');
}

/** The error @middy/core's early timeout throws, shaped as it builds it. */
function middyTimeout(): Error {
  const error = new Error('[AbortError]: The operation was aborted.', { cause: { package: '@middy/core' } });
  error.name = 'TimeoutError';
  return error;
}

describe('errorResponse', () => {
  describe.each([
    ['an invalid request', new InvalidRequestError(40001, 'TagList[0]', 'TagList[0] is wrong'), 400, 40001],
    [
      'a missing To_Account',
      new InvalidRequestError(40002, 'To_Account', 'To_Account is required'),
      400,
      40002,
    ],
    ['an oversized body', new BodyTooLargeError(300_000, 262_144), 413, 40001],
    [
      "Tencent's refusal of an unknown tag",
      new TencentApiError(40009, 'Err_Profile_Tag_Not_Exist'),
      400,
      40009,
    ],
    ["Tencent's 60007 after the last retry", new TencentApiError(60007, 'rate limit'), 429, 60007],
    ['no call slot', new NoSlotError(1500), 429, 60007],
    ['a Tencent internal error', new TencentApiError(70500, 'internal'), 502, 70500],
    ['a Tencent configuration error', new TencentApiError(60006, 'bad sdkappid'), 502, 60006],
    ['an unknown Tencent code', new TencentApiError(99999, '?'), 502, 99999],
    [
      'a Tencent timeout',
      new TencentTransportError('timeout', `timed out at https://x/v4?${LEAK}`),
      502,
      60008,
    ],
    ['a reply outside the protocol', new TencentProtocolError(`bad JSON near ${LEAK}`), 502, 70500],
    ['an unreadable secret', new DependencyError('secret', `secret x field secretKey ${LEAK}`), 503, 70500],
    ['a failing table', new DependencyError('table', 'ProvisionedThroughputExceeded'), 503, 70500],
    ["Tencent's lockout after failed signature checks", new TencentApiError(70050, 'locked'), 502, 70050],
    ['a lockout still running', new UpstreamLockedError(30_000), 502, 70050],
    ['the Lambda running out of time', middyTimeout(), 503, 60008],
    ['an unforeseen error', new Error(`TypeError near ${LEAK}`), 500, 70500],
    ['a thrown string', LEAK, 500, 70500],
  ])('%s', (_case, error, status, code) => {
    it(`answers ${status} with a Tencent-shaped body carrying ${code}, leaking nothing`, () => {
      const response = errorResponse(error);

      expect(response.statusCode).toBe(status);
      expect(response.body).toEqual({
        ActionStatus: 'FAIL',
        ErrorCode: code,
        ErrorInfo: expect.any(String),
        ErrorDisplay: '',
      });
      expect(response.body.ErrorInfo.length).toBeGreaterThan(0);
      expect(response.headers['Content-Type']).toMatch(/^application\/json/);
      expect(JSON.stringify(response)).not.toMatch(/usersig|SECRETKEY|https?:|\n\s+at /i);
    });
  });

  describe.each([
    ['an unreadable secret', new DependencyError('secret', 'AccessDeniedException'), '1'],
    [
      "a failing table, with the limiter's hint",
      new DependencyError('table', 'limiter down', { retryAfterMs: 2_500 }),
      '3',
    ],
    ['the Lambda running out of time', middyTimeout(), '1'],
    ['the invocation deadline', new InvocationTimeoutError(), '1'],
  ])('%s', (_case, error, seconds) => {
    it(`answers 503 with Retry-After: ${seconds}`, () => {
      const response = errorResponse(error);

      expect(response.statusCode).toBe(503);
      expect(response.headers['Retry-After']).toBe(seconds);
    });
  });

  it('answers a result too large for one Lambda response with 413, saying how many accounts fit', () => {
    const response = errorResponse(new ResultTooLargeError('one Lambda response', 8_000_000, 6_291_556, 640));

    expect(response.statusCode).toBe(413);
    expect(response.body).toMatchObject({ ErrorCode: 40001 });
    expect(response.body.ErrorInfo).toContain('at most 640 fit');
  });

  it('names the field of an invalid request in ErrorInfo', () => {
    const response = errorResponse(new InvalidRequestError(40001, 'To_Account[3]', 'To_Account[3] is empty'));

    expect(response.body.ErrorInfo).toContain('To_Account[3]');
  });

  describe.each([
    [new NoSlotError(1), '1'],
    [new NoSlotError(0), '1'],
    [new NoSlotError(1000), '1'],
    [new NoSlotError(1001), '2'],
    [new NoSlotError(4200), '5'],
    [new TencentApiError(60011, 'app ceiling'), '1'],
  ])('%s', (error, seconds) => {
    it(`says Retry-After: ${seconds}`, () => {
      const response = errorResponse(error);

      expect(response.statusCode).toBe(429);
      expect(response.headers['Retry-After']).toBe(seconds);
    });
  });

  describe.each([
    [new TencentApiError(70050, 'locked'), '60'],
    [new UpstreamLockedError(12_300), '13'],
  ])('%s', (error, seconds) => {
    it(`tells a locked-out caller to come back in ${seconds} s`, () => {
      const response = errorResponse(error);

      expect(response.statusCode).toBe(502);
      expect(response.headers['Retry-After']).toBe(seconds);
    });
  });

  it('answers a malformed JSON body with 400 and Tencent’s 60003 naming the body', async () => {
    const error = await middyParseError('{"To_Account": [');

    const response = errorResponse(error);

    expect(response.statusCode).toBe(400);
    expect(response.body.ErrorCode).toBe(60003);
    expect(response.body.ErrorInfo).toMatch(/^body /);
  });

  it('answers a body with a forbidden __proto__ key with 400 and 60003', async () => {
    const error = await middyParseError('{"__proto__": {"polluted": true}}');

    const response = errorResponse(error);

    expect(response.statusCode).toBe(400);
    expect(response.body.ErrorCode).toBe(60003);
  });
});
