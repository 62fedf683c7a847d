import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cachePolicyFrom } from '../../../shared/http/cache-control.ts';

describe('cachePolicyFrom', () => {
  describe.each([
    [undefined, { mode: 'default' }],
    ['', { mode: 'default' }],
    ['no-cache', { mode: 'no-cache' }],
    ['No-Cache', { mode: 'no-cache' }],
    ['no-store', { mode: 'no-store' }],
    ['no-cache, no-store', { mode: 'no-store' }],
    ['max-age=30', { mode: 'max-age', maxAgeSeconds: 30 }],
    ['max-age="30"', { mode: 'max-age', maxAgeSeconds: 30 }],
    ['MAX-AGE=0', { mode: 'max-age', maxAgeSeconds: 0 }],
    [' max-age=60 , must-revalidate', { mode: 'max-age', maxAgeSeconds: 60 }],
    ['max-age=60, no-cache', { mode: 'no-cache' }],
    ['max-age=60, max-age=5', { mode: 'max-age', maxAgeSeconds: 5 }],
    ['max-age=-1', { mode: 'default' }],
    ['max-age=abc', { mode: 'default' }],
    ['max-age=1.5', { mode: 'default' }],
    ['private', { mode: 'default' }],
    ['stale-if-error=600', { mode: 'default', staleIfErrorSeconds: 600 }],
    ['stale-if-error=0', { mode: 'default', staleIfErrorSeconds: 0 }],
    ['Stale-If-Error="60", stale-if-error=30', { mode: 'default', staleIfErrorSeconds: 30 }],
    ['max-age=5, stale-if-error=60', { mode: 'max-age', maxAgeSeconds: 5, staleIfErrorSeconds: 60 }],
    ['no-cache, stale-if-error=60', { mode: 'no-cache', staleIfErrorSeconds: 60 }],
    ['no-store, stale-if-error=60', { mode: 'no-store' }],
    ['stale-if-error=-1', { mode: 'default' }],
    ['stale-if-error', { mode: 'default' }],
    ['x-stale-if-error=60', { mode: 'default' }],
    ['stale-if-error=60s', { mode: 'default' }],
  ])('Cache-Control: %j', (header, expected) => {
    it(`means ${JSON.stringify(expected)}`, () => {
      const policy = cachePolicyFrom(header);

      expect(policy).toStrictEqual(expected);
    });
  });

  it('never throws and always yields a policy the cache understands', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (header) => {
        const policy = cachePolicyFrom(header);

        expect(['default', 'no-cache', 'max-age']).toContain(policy.mode);
        if (policy.mode === 'max-age') {
          expect(Number.isSafeInteger(policy.maxAgeSeconds)).toBe(true);
          expect(policy.maxAgeSeconds).toBeGreaterThanOrEqual(0);
        }
        if (policy.staleIfErrorSeconds !== undefined) {
          expect(Number.isSafeInteger(policy.staleIfErrorSeconds)).toBe(true);
          expect(policy.staleIfErrorSeconds).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });
});

describe('cachePolicyFrom and directives that only contain max-age', () => {
  it.each(['x-max-age=5', 'max-age=5x', 'max-age=5"'])('ignores %j', (header) => {
    expect(cachePolicyFrom(header)).toEqual({ mode: 'default' });
  });
});
