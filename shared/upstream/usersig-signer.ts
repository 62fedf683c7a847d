import type { CredentialsProvider } from '../portrait/ports.ts';
import type { TencentCredentials } from '../tencent/credentials.ts';
import { DEFAULT_USERSIG_LIFETIME_SECONDS, signUserSig } from '../tencent/usersig.ts';

/**
 * Renew when less than this remains: an hour of margin absorbs clock skew between this host and
 * Tencent and keeps a UserSig from expiring while a call (or a frozen Lambda) holds it.
 */
export const USERSIG_RENEW_BEFORE_SECONDS = 3_600;

/** Credentials together with a UserSig signed from them, so a call never mixes two generations. */
export interface SignedCredentials {
  credentials: TencentCredentials;
  userSig: string;
}

export interface UserSigSignerOptions {
  /** The clock in epoch milliseconds. Default `Date.now`. */
  now?: () => number;
  /** Default {@link DEFAULT_USERSIG_LIFETIME_SECONDS}. */
  lifetimeSeconds?: number;
  /** Default {@link USERSIG_RENEW_BEFORE_SECONDS}; must be shorter than the lifetime. */
  renewBeforeSeconds?: number;
}

interface Held {
  signed: SignedCredentials;
  renewAtMs: number;
}

const sameIdentity = (a: TencentCredentials, b: TencentCredentials): boolean =>
  a.sdkAppId === b.sdkAppId && a.identifier === b.identifier && a.secretKey === b.secretKey;

/** Signs the admin UserSig once and reuses it until it nears expiry or the credentials change. */
export class UserSigSigner {
  readonly #provider: CredentialsProvider;
  readonly #now: () => number;
  readonly #lifetimeSeconds: number;
  readonly #renewBeforeSeconds: number;
  #held: Held | undefined;

  constructor(provider: CredentialsProvider, options: UserSigSignerOptions = {}) {
    this.#provider = provider;
    this.#now = options.now ?? Date.now;
    this.#lifetimeSeconds = options.lifetimeSeconds ?? DEFAULT_USERSIG_LIFETIME_SECONDS;
    this.#renewBeforeSeconds = options.renewBeforeSeconds ?? USERSIG_RENEW_BEFORE_SECONDS;
    if (!(this.#renewBeforeSeconds >= 0 && this.#renewBeforeSeconds < this.#lifetimeSeconds)) {
      throw new RangeError('renewBeforeSeconds must be at least 0 and shorter than lifetimeSeconds');
    }
  }

  /**
   * The credentials and a UserSig for them: the held one while more than `renewBeforeSeconds` of
   * its life remain and the provider still returns the same credentials, else a fresh one.
   */
  async current(): Promise<SignedCredentials> {
    const credentials = await this.#provider.get();
    const held = this.#held;
    if (held && sameIdentity(held.signed.credentials, credentials) && this.#now() < held.renewAtMs) {
      return held.signed;
    }
    return this.#sign(credentials);
  }

  /**
   * The held UserSig while it has more than `renewBeforeSeconds` of life left, without asking the
   * provider (no I/O): what a call made right after its slot was granted uses, since `current()`
   * ran before the slot was asked for. Undefined when nothing usable is held.
   */
  held(): SignedCredentials | undefined {
    const held = this.#held;
    return held && this.#now() < held.renewAtMs ? held.signed : undefined;
  }

  /** Signs anew with the provider's current credentials (after 70001/70052). */
  async renew(): Promise<SignedCredentials> {
    return this.#sign(await this.#provider.get());
  }

  /** Re-reads the credentials from their source, then signs anew (after 70002/70003/70005/70009). */
  async reload(): Promise<SignedCredentials> {
    return this.#sign(await this.#provider.refresh());
  }

  #sign(credentials: TencentCredentials): SignedCredentials {
    const nowSeconds = Math.floor(this.#now() / 1000);
    const userSig = signUserSig(credentials, { nowSeconds, lifetimeSeconds: this.#lifetimeSeconds });
    const signed = { credentials, userSig };
    this.#held = {
      signed,
      renewAtMs: (nowSeconds + this.#lifetimeSeconds - this.#renewBeforeSeconds) * 1000,
    };
    return signed;
  }
}
