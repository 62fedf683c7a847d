import type { CachePolicy } from '../portrait/ports.ts';

const MAX_AGE = /^max-age=("?)(\d+)\1$/;

/**
 * The cache policy a `Cache-Control` request header asks for: `no-cache` skips the cache read,
 * `no-store` skips the read and the write, `max-age=N` accepts values at most N seconds old,
 * anything else (absent, unknown or malformed directives) means the configured TTL. `no-store`
 * wins over `no-cache`, which wins over `max-age`; of several `max-age` directives the strictest
 * counts.
 */
export function cachePolicyFrom(header: string | undefined): CachePolicy {
  if (header === undefined) return { mode: 'default' };
  let maxAgeSeconds: number | undefined;
  let noCache = false;
  for (const raw of header.split(',')) {
    const directive = raw.trim().toLowerCase();
    if (directive === 'no-store') return { mode: 'no-store' };
    if (directive === 'no-cache') noCache = true;
    const digits = MAX_AGE.exec(directive)?.[2];
    if (digits !== undefined) {
      const seconds = Math.min(Number(digits), Number.MAX_SAFE_INTEGER);
      maxAgeSeconds = Math.min(maxAgeSeconds ?? seconds, seconds);
    }
  }
  if (noCache) return { mode: 'no-cache' };
  return maxAgeSeconds === undefined ? { mode: 'default' } : { mode: 'max-age', maxAgeSeconds };
}
