import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_USERSIG_LIFETIME_SECONDS,
  decodeUserSig,
  verifyUserSig,
} from '../../../shared/tencent/usersig.ts';
import { USERSIG_RENEW_BEFORE_SECONDS, UserSigSigner } from '../../../shared/upstream/usersig-signer.ts';
import { RotatingCredentials, testCredentials } from '../../support/tencent-credentials.ts';

const START_MS = 1_700_000_000_000;
const HOUR_MS = 3_600_000;

/** A signer on a clock the test moves by hand. */
const signerAt = (provider = new RotatingCredentials()) => {
  const clock = { ms: START_MS };
  const signer = new UserSigSigner(provider, { now: () => clock.ms });
  return { signer, clock, provider };
};

const signedAtSeconds = (userSig: string): number | undefined => decodeUserSig(userSig)?.time;

describe('UserSigSigner', () => {
  it('signs once and hands out the same UserSig while it is fresh', async () => {
    // Prepare
    const { signer, clock } = signerAt();
    const first = await signer.current();

    // Act
    clock.ms += (DEFAULT_USERSIG_LIFETIME_SECONDS - USERSIG_RENEW_BEFORE_SECONDS) * 1000 - 1000;
    const later = await signer.current();

    // Assess
    expect(later.userSig).toBe(first.userSig);
    expect(signedAtSeconds(first.userSig)).toBe(START_MS / 1000);
  });

  it('signs anew once less than the renewal margin remains', async () => {
    // Prepare
    const { signer, clock } = signerAt();
    const first = await signer.current();

    // Act
    clock.ms += (DEFAULT_USERSIG_LIFETIME_SECONDS - USERSIG_RENEW_BEFORE_SECONDS) * 1000;
    const renewed = await signer.current();

    // Assess
    expect(renewed.userSig).not.toBe(first.userSig);
    expect(signedAtSeconds(renewed.userSig)).toBe(clock.ms / 1000);
  });

  it('never hands out a UserSig with less than the renewal margin left, whatever the clock does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 30 * HOUR_MS }), { maxLength: 30 }),
        async (steps) => {
          // Prepare
          const { signer, clock, provider } = signerAt();

          for (const step of steps) {
            // Act
            clock.ms += step;
            const { credentials, userSig } = await signer.current();

            // Assess
            const marginEnd = Math.floor(clock.ms / 1000) + USERSIG_RENEW_BEFORE_SECONDS;
            expect(verifyUserSig(userSig, credentials, marginEnd).ok).toBe(true);
            expect(provider.refreshes).toBe(0);
          }
        },
      ),
    );
  });

  it('signs for a day, far below the official 180 days', async () => {
    // Prepare
    const { signer } = signerAt();

    // Act
    const { userSig } = await signer.current();

    // Assess
    expect(decodeUserSig(userSig)?.expire).toBe(86_400);
  });

  it('renew() signs anew even while the held UserSig is fresh, without re-reading the secret', async () => {
    // Prepare
    const { signer, clock, provider } = signerAt();
    const first = await signer.current();
    clock.ms += 1000;

    // Act
    await signer.renew();
    const after = await signer.current();

    // Assess
    expect(after.userSig).not.toBe(first.userSig);
    expect(signedAtSeconds(after.userSig)).toBe(clock.ms / 1000);
    expect(provider.refreshes).toBe(0);
  });

  it('reload() re-reads the secret and signs with the rotated key', async () => {
    // Prepare
    const { signer, provider } = signerAt();
    const rotated = testCredentials({ secretKey: 'the-rotated-secret-key' });
    const before = await signer.current();
    provider.rotateOnRefresh(rotated);

    // Act
    await signer.reload();
    const after = await signer.current();

    // Assess
    expect(provider.refreshes).toBe(1);
    expect(verifyUserSig(before.userSig, rotated, START_MS / 1000)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(verifyUserSig(after.userSig, rotated, START_MS / 1000).ok).toBe(true);
    expect(after.credentials).toBe(rotated);
  });

  it('signs anew when the provider starts returning other credentials', async () => {
    // Prepare
    const { signer, provider } = signerAt();
    await signer.current();
    const otherApp = testCredentials({ sdkAppId: 1400000099 });
    provider.set(otherApp);

    // Act
    const { credentials, userSig } = await signer.current();

    // Assess
    expect(credentials.sdkAppId).toBe(1400000099);
    expect(verifyUserSig(userSig, otherApp, START_MS / 1000).ok).toBe(true);
  });

  it.each([
    { lifetimeSeconds: 3600, renewBeforeSeconds: 3600 },
    { lifetimeSeconds: 3600, renewBeforeSeconds: -1 },
  ])('refuses a renewal margin that leaves no life: %o', (options) => {
    // Act
    const build = () => new UserSigSigner(new RotatingCredentials(), options);

    // Assess
    expect(build).toThrow(RangeError);
  });
});
