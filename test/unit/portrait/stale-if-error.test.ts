import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DependencyError,
  InvalidRequestError,
  InvocationTimeoutError,
  NoSlotError,
  TencentApiError,
  TencentProtocolError,
  TencentTransportError,
  UpstreamLockedError,
} from '../../../shared/errors.ts';
import type { CacheEntry } from '../../../shared/portrait/ports.ts';
import { fallbackFor, isOutage } from '../../../shared/portrait/stale-if-error.ts';

const entry = (account: string, freshForMs: number): CacheEntry => ({
  item: { To_Account: account, ProfileItem: [], ResultCode: 0, ResultInfo: '' },
  freshForMs,
});

describe('isOutage', () => {
  describe.each<[string, unknown, boolean]>([
    ['a transport failure (reset, 5xx, timeout)', new TencentTransportError('http-status', '502'), true],
    ['a reply outside the protocol', new TencentProtocolError('garbled'), true],
    ['a transient Tencent code', new TencentApiError(70500, 'internal'), true],
    ["Tencent's ceiling after the retries", new TencentApiError(60007, 'too frequent'), true],
    ['the lockout (70050)', new TencentApiError(70050, 'locked'), true],
    ['the lockout remembered', new UpstreamLockedError(30_000), true],
    ['no slot before the deadline', new NoSlotError(500), true],
    ['the invocation out of time', new InvocationTimeoutError(), true],
    ['the rate-limit counter unreachable', new DependencyError('table', 'down'), true],
    ['a misconfigured deployment', new TencentApiError(60006, 'bad app'), false],
    ['a UserSig still refused after signing anew', new TencentApiError(70001, 'expired'), false],
    ['a refused request', new TencentApiError(40001, 'bad'), false],
    ["the caller's own bad request", new InvalidRequestError(40001, 'To_Account', 'bad'), false],
    ['a configuration error', new ConfigError('no credentials'), false],
    ['a bug', new TypeError('oops'), false],
  ])('%s', (_label, error, outage) => {
    it(outage ? 'is an outage: stale values may answer' : 'is no outage: nothing stale answers', () => {
      expect(isOutage(error)).toBe(outage);
    });
  });
});

describe('fallbackFor', () => {
  const outage = new TencentTransportError('connection', 'refused');
  const fallback = new Map([
    ['fresh', entry('fresh', 500)],
    ['stale', entry('stale', -500)],
  ]);

  it('answers stale and fresh entries on an outage, and the failure for accounts with none', () => {
    const answer = fallbackFor(['fresh', 'stale', 'none'], fallback, outage);

    expect(answer?.stale).toEqual(['stale']);
    expect(answer?.answers.get('fresh')).toEqual(entry('fresh', 0).item);
    expect(answer?.answers.get('none')).toEqual({
      To_Account: 'none',
      ResultCode: 60008,
      ResultInfo: 'Tencent could not be reached or did not answer (connection)',
    });
    expect(answer?.failure).toEqual({ error: outage, accounts: ['none'] });
  });

  it('leaves the request to fail when no account has anything to serve', () => {
    expect(fallbackFor(['none'], fallback, outage)).toBeUndefined();
  });

  it('serves entries still fresh whatever the failure, and only when that covers every account', () => {
    const misconfigured = new TencentApiError(60006, 'bad app');

    expect(fallbackFor(['fresh'], fallback, misconfigured)).toEqual({
      answers: new Map([['fresh', entry('fresh', 0).item]]),
      stale: [],
    });
    expect(fallbackFor(['fresh', 'stale'], fallback, misconfigured)).toBeUndefined();
    expect(fallbackFor(['fresh', 'none'], fallback, misconfigured)).toBeUndefined();
  });
});
