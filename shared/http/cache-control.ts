import type { CachePolicy } from '../portrait/ports.ts';

const MAX_AGE = /^max-age=("?)(\d+)\1$/;
const STALE_IF_ERROR = /^stale-if-error=("?)(\d+)\1$/;

/** The smaller of a directive's seconds so far and `digits`, capped to a safe integer. */
const strictest = (sofar: number | undefined, digits: string): number => {
  const seconds = Math.min(Number(digits), Number.MAX_SAFE_INTEGER);
  return Math.min(sofar ?? seconds, seconds);
};

/**
 * The cache policy a `Cache-Control` request header asks for: `no-cache` serves nothing fresh from
 * the cache (a stale value only when it names `stale-if-error`), `no-store` neither reads nor writes it, `max-age=N` accepts values at most N seconds old,
 * anything else (absent, unknown or malformed directives) means the configured TTL. `no-store`
 * wins over `no-cache`, which wins over `max-age`; of several `max-age` directives the strictest
 * counts. `stale-if-error=N` (RFC 5861) narrows how long past their freshness cached values may
 * answer when Tencent cannot, 0 never (docs/api.md, "Caching"); the strictest counts too.
 */
export function cachePolicyFrom(header: string | undefined): CachePolicy {
  if (header === undefined) return { mode: 'default' };
  let maxAgeSeconds: number | undefined;
  let staleIfErrorSeconds: number | undefined;
  let noCache = false;
  for (const raw of header.split(',')) {
    const directive = raw.trim().toLowerCase();
    if (directive === 'no-store') return { mode: 'no-store' };
    if (directive === 'no-cache') noCache = true;
    const maxAge = MAX_AGE.exec(directive)?.[2];
    if (maxAge !== undefined) maxAgeSeconds = strictest(maxAgeSeconds, maxAge);
    const staleIfError = STALE_IF_ERROR.exec(directive)?.[2];
    if (staleIfError !== undefined) staleIfErrorSeconds = strictest(staleIfErrorSeconds, staleIfError);
  }
  const stale = staleIfErrorSeconds === undefined ? {} : { staleIfErrorSeconds };
  if (noCache) return { mode: 'no-cache', ...stale };
  return maxAgeSeconds === undefined
    ? { mode: 'default', ...stale }
    : { mode: 'max-age', maxAgeSeconds, ...stale };
}
