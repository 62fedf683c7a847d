import { describe, expect, it } from 'vitest';
import { type AnsweredRequest, accessLine } from '../../../infra/local/access-line.ts';

const answered = (input: Partial<AnsweredRequest>): AnsweredRequest => ({
  method: 'POST',
  path: '/v4/profile/portrait_get',
  statusCode: 200,
  headers: {},
  durationMs: 12.4,
  ...input,
});

describe('accessLine', () => {
  it.each([
    [
      'a portrait_get answered from Tencent',
      { headers: { 'X-Cache-Hits': '0', 'X-Cache-Misses': '3', 'X-Upstream-Calls': '1' } },
      'POST /v4/profile/portrait_get 200 12ms hits=0 misses=3 upstream=1',
    ],
    [
      'one with stale answers (header names in any case)',
      {
        statusCode: 200,
        headers: {
          'x-cache-hits': '2',
          'x-cache-misses': '1',
          'x-upstream-calls': '0',
          'x-cache-stale': '1',
        },
      },
      'POST /v4/profile/portrait_get 200 12ms hits=2 misses=1 upstream=0 stale=1',
    ],
    ['a webhook', { path: '/tencent-im/callback', durationMs: 3.6 }, 'POST /tencent-im/callback 200 4ms'],
    ['an unknown path', { method: 'GET', path: '/', statusCode: 404 }, 'GET / 404 12ms'],
  ])('%s', (_case, input, expected) => {
    expect(accessLine(answered(input))).toBe(expected);
  });
});
