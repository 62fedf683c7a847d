import type { CachePolicy } from '../portrait/ports.ts';

const MAX_AGE = /^max-age=("?)(\d+)\1$/;

/**
 * The cache policy a `Cache-Control` request header asks for: `no-cache` (or `no-store`) skips the
 * cache read, `max-age=N` accepts values at most N seconds old, anything else (absent, unknown or
 * malformed directives) means the configured TTL. `no-cache` wins over `max-age`; of several
 * `max-age` directives the strictest counts.
 */
export function cachePolicyFrom(header: string | undefined): CachePolicy {
  if (header === undefined) return { mode: 'default' };
  let maxAgeSeconds: number | undefined;
  for (const raw of header.split(',')) {
    const directive = raw.trim().toLowerCase();
    if (directive === 'no-cache' || directive === 'no-store') return { mode: 'no-cache' };
    const digits = MAX_AGE.exec(directive)?.[2];
    if (digits !== undefined) {
      const seconds = Math.min(Number(digits), Number.MAX_SAFE_INTEGER);
      maxAgeSeconds = Math.min(maxAgeSeconds ?? seconds, seconds);
    }
  }
  return maxAgeSeconds === undefined ? { mode: 'default' } : { mode: 'max-age', maxAgeSeconds };
}
