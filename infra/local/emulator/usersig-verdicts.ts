import { type UserSigVerdict, verifyUserSig } from '../../../shared/tencent/usersig.ts';

/** Distinct UserSigs remembered; a client renews its UserSig rarely, so this is never reached in practice. */
const MAX_CACHED_USERSIGS = 10_000;

/**
 * The app admin's identity and the verdicts on UserSigs presented for it, cached per UserSig so a
 * client reusing its UserSig costs one HMAC, not one per call. Verdicts leave out expiry, which
 * depends on when each call arrives (see `userSigCode` in judge.ts).
 */
export class UserSigVerdicts {
  readonly sdkAppId: number;
  readonly identifier: string;
  #secretKey: string;
  readonly #verdicts = new Map<string, UserSigVerdict>();

  constructor(admin: { sdkAppId: number; identifier: string; secretKey: string }) {
    this.sdkAppId = admin.sdkAppId;
    this.identifier = admin.identifier;
    this.#secretKey = admin.secretKey;
  }

  /** The verdict on `userSig` against the admin, expiry aside. */
  verdictOf(userSig: string): UserSigVerdict {
    let verdict = this.#verdicts.get(userSig);
    if (verdict === undefined) {
      const admin = { sdkAppId: this.sdkAppId, identifier: this.identifier, secretKey: this.#secretKey };
      verdict = verifyUserSig(userSig, admin, Number.NEGATIVE_INFINITY);
      if (this.#verdicts.size >= MAX_CACHED_USERSIGS) this.#verdicts.clear();
      this.#verdicts.set(userSig, verdict);
    }
    return verdict;
  }

  /** Key rotation: UserSigs made with the old key fail from now on. */
  setSecretKey(secretKey: string): void {
    this.#secretKey = secretKey;
    this.#verdicts.clear();
  }
}
