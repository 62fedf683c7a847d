import type { CredentialsProvider } from '../../shared/portrait/ports.ts';
import type { TencentCredentials } from '../../shared/tencent/credentials.ts';

/** Tencent's published test key (docs/tencent.md, "UserSig"). */
export const PUBLISHED_SECRET_KEY = '5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e';

/** Admin credentials for tests; override any field. */
export function testCredentials(overrides: Partial<TencentCredentials> = {}): TencentCredentials {
  return { sdkAppId: 1400000000, identifier: 'administrator', secretKey: PUBLISHED_SECRET_KEY, ...overrides };
}

/**
 * A provider whose credentials a test can rotate, and which counts how often it was read:
 * `get()` returns what `set()` stored last; `refresh()` first adopts `nextOnRefresh` when given.
 */
export class RotatingCredentials implements CredentialsProvider {
  gets = 0;
  refreshes = 0;
  #current: TencentCredentials;
  #nextOnRefresh: TencentCredentials | undefined;

  constructor(initial: TencentCredentials = testCredentials()) {
    this.#current = initial;
  }

  set(credentials: TencentCredentials): void {
    this.#current = credentials;
  }

  /** What the source will hold when it is next re-read (a rotation the cache has not seen yet). */
  rotateOnRefresh(credentials: TencentCredentials): void {
    this.#nextOnRefresh = credentials;
  }

  async get(): Promise<TencentCredentials> {
    this.gets += 1;
    return this.#current;
  }

  async refresh(): Promise<TencentCredentials> {
    this.refreshes += 1;
    if (this.#nextOnRefresh) {
      this.#current = this.#nextOnRefresh;
      this.#nextOnRefresh = undefined;
    }
    return this.#current;
  }
}
