import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DependencyError } from '../../shared/errors.ts';
import {
  SECRET_CACHE_TTL_MS,
  SECRET_RETRY_AFTER_FAILURE_MS,
  SecretsManagerCredentials,
} from '../../shared/secrets/secrets-manager-credentials.ts';
import {
  LOOPBACK_AWS_CREDENTIALS,
  LOOPBACK_AWS_REGION,
  LoopbackSecretsManager,
} from '../support/aws-endpoints.ts';

const SECRET_ID = 'portrait-gateway/tencent';
const KEY_A = 'secret-key-A-5bd2850fff3ecb11d7c805251c51ee46';
const KEY_B = 'secret-key-B-3a25727bddc2385f3fa8bfee1bb93b5e';

const secretJson = (secretKey: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ sdkAppId: 1400000000, identifier: 'administrator', secretKey, ...extra });

let secretsManager: LoopbackSecretsManager;

beforeAll(async () => {
  secretsManager = await LoopbackSecretsManager.start();
});

afterAll(async () => {
  await secretsManager.close();
});

beforeEach(() => {
  secretsManager.failWith(undefined);
  secretsManager.setSecret(SECRET_ID, secretJson(KEY_A));
});

/** A provider over the loopback endpoint with a clock the test moves. */
function provider(options: { secretId?: string } = {}) {
  const clock = { nowMs: 1_700_000_000_000 };
  const credentials = new SecretsManagerCredentials({
    secretId: options.secretId ?? SECRET_ID,
    endpoint: secretsManager.url,
    region: LOOPBACK_AWS_REGION,
    credentials: LOOPBACK_AWS_CREDENTIALS,
    now: () => clock.nowMs,
  });
  return { credentials, clock };
}

async function failureOf(promise: Promise<unknown>): Promise<DependencyError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DependencyError);
  return error as DependencyError;
}

describe('SecretsManagerCredentials', () => {
  it('reads the secret once and serves it from the cache while it is fresh', async () => {
    const { credentials, clock } = provider();
    const readsBefore = secretsManager.reads;

    const first = await credentials.get();
    clock.nowMs += SECRET_CACHE_TTL_MS - 1;
    const second = await credentials.get();

    expect(first).toEqual({ sdkAppId: 1400000000, identifier: 'administrator', secretKey: KEY_A });
    expect(second).toEqual(first);
    expect(secretsManager.reads - readsBefore).toBe(1);
  });

  it('reads again once the cache has expired, picking up a rotation', async () => {
    const { credentials, clock } = provider();
    await credentials.get();
    secretsManager.setSecret(SECRET_ID, secretJson(KEY_B));

    const beforeExpiry = await credentials.get();
    clock.nowMs += SECRET_CACHE_TTL_MS;
    const afterExpiry = await credentials.get();

    expect(beforeExpiry.secretKey).toBe(KEY_A);
    expect(afterExpiry.secretKey).toBe(KEY_B);
  });

  it('refresh() bypasses a fresh cache and later gets see the new value', async () => {
    const { credentials } = provider();
    await credentials.get();
    secretsManager.setSecret(SECRET_ID, secretJson(KEY_B));

    const refreshed = await credentials.refresh();
    const next = await credentials.get();

    expect(refreshed.secretKey).toBe(KEY_B);
    expect(next.secretKey).toBe(KEY_B);
  });

  it('concurrent callers share one read', async () => {
    const { credentials } = provider();
    const readsBefore = secretsManager.reads;

    const results = await Promise.all([
      ...Array.from({ length: 20 }, () => credentials.get()),
      ...Array.from({ length: 20 }, () => credentials.refresh()),
    ]);

    expect(secretsManager.reads - readsBefore).toBe(1);
    expect(new Set(results.map((result) => result.secretKey))).toEqual(new Set([KEY_A]));
  });

  it('keeps the optional callback token and ignores fields it does not know', async () => {
    secretsManager.setSecret(SECRET_ID, secretJson(KEY_A, { callbackToken: 'tok', rotatedBy: 'lambda' }));
    const { credentials } = provider();

    const read = await credentials.get();

    expect(read).toEqual({
      sdkAppId: 1400000000,
      identifier: 'administrator',
      secretKey: KEY_A,
      callbackToken: 'tok',
    });
  });

  it('accepts the SDKAppID as a string of digits', async () => {
    secretsManager.setSecret(SECRET_ID, secretJson(KEY_A, { sdkAppId: '1400000001' }));
    const { credentials } = provider();

    const read = await credentials.get();

    expect(read.sdkAppId).toBe(1400000001);
  });

  describe.each([
    ['no JSON', `{"secretKey": "${KEY_A}"`, 'is not JSON'],
    ['a JSON list', JSON.stringify([KEY_A]), 'must hold a JSON object'],
    ['no secretKey', JSON.stringify({ sdkAppId: 1, identifier: 'admin' }), 'field secretKey is missing'],
    ['an empty secretKey', secretJson(''), 'field secretKey must not be empty'],
    [
      'a numeric secretKey',
      secretJson(KEY_A).replace(`"${KEY_A}"`, '1234567890123'),
      'field secretKey must be a string',
    ],
    ['no identifier', JSON.stringify({ sdkAppId: 1, secretKey: KEY_A }), 'field identifier is missing'],
    [
      'a bad sdkAppId',
      secretJson(KEY_A, { sdkAppId: `x${KEY_A}` }),
      'field sdkAppId must be a positive whole number',
    ],
    [
      'a negative sdkAppId',
      secretJson(KEY_A, { sdkAppId: -14 }),
      'field sdkAppId must be a positive whole number',
    ],
    [
      'a non-string callbackToken',
      secretJson(KEY_A, { callbackToken: 42 }),
      'field callbackToken must be a string',
    ],
  ])('a secret with %s', (_case, secretString, expected) => {
    it('fails as a secret dependency error naming the field, never echoing the value', async () => {
      secretsManager.setSecret(SECRET_ID, secretString);
      const { credentials } = provider();

      const error = await failureOf(credentials.get());

      expect(error.dependency).toBe('secret');
      expect(error.message).toContain(expected);
      expect(error.message).toContain(SECRET_ID);
      expect(error.message).not.toContain(KEY_A);
      expect(error.message).not.toContain('1234567890123');
      expect(JSON.stringify(error)).not.toContain(KEY_A);
    });
  });

  it('a secret holding only binary data is refused with a hint', async () => {
    secretsManager.setSecret(SECRET_ID, undefined);
    const { credentials } = provider();

    const error = await failureOf(credentials.get());

    expect(error.message).toContain('holds no SecretString');
  });

  it('a missing secret becomes a secret dependency error naming the SDK error', async () => {
    const { credentials } = provider({ secretId: 'no-such-secret' });

    const error = await failureOf(credentials.get());

    expect(error.dependency).toBe('secret');
    expect(error.message).toContain('ResourceNotFoundException');
  });

  it('an unreachable endpoint becomes a secret dependency error', async () => {
    const closed = await LoopbackSecretsManager.start();
    const url = closed.url;
    await closed.close();
    const credentials = new SecretsManagerCredentials({
      secretId: SECRET_ID,
      endpoint: url,
      region: LOOPBACK_AWS_REGION,
      credentials: LOOPBACK_AWS_CREDENTIALS,
    });

    const error = await failureOf(credentials.get());

    expect(error.dependency).toBe('secret');
  });

  it('serves the last good value when the cache expired and the read fails, but refresh() fails', async () => {
    const { credentials, clock } = provider();
    await credentials.get();
    secretsManager.failWith({ status: 400, type: 'AccessDeniedException', message: 'no' });
    clock.nowMs += SECRET_CACHE_TTL_MS;

    const stale = await credentials.get();
    const refreshError = await failureOf(credentials.refresh());

    expect(stale.secretKey).toBe(KEY_A);
    expect(refreshError.message).toContain('AccessDeniedException');
  });

  it('during an outage reads once per pause, serving the last good value in between', async () => {
    const { credentials, clock } = provider();
    await credentials.get();
    secretsManager.failWith({ status: 500, type: 'InternalServiceError', message: 'down' });
    clock.nowMs += SECRET_CACHE_TTL_MS;
    const readsBefore = secretsManager.reads;

    await credentials.get();
    const failedAt = clock.nowMs;
    const readsPerAttempt = secretsManager.reads - readsBefore;
    const duringPause: string[] = [];
    for (let call = 0; call < 20; call += 1) {
      clock.nowMs = failedAt + Math.round((call * (SECRET_RETRY_AFTER_FAILURE_MS - 1)) / 19);
      duringPause.push((await credentials.get()).secretKey);
    }
    const readsDuringPause = secretsManager.reads - readsBefore;
    clock.nowMs = failedAt + SECRET_RETRY_AFTER_FAILURE_MS;
    const afterPause = await credentials.get();
    const readsAfterPause = secretsManager.reads - readsBefore;

    expect(readsPerAttempt).toBeGreaterThan(0);
    expect(duringPause).toEqual(Array(20).fill(KEY_A));
    expect(readsDuringPause).toBe(readsPerAttempt);
    expect(afterPause.secretKey).toBe(KEY_A);
    expect(readsAfterPause).toBe(2 * readsPerAttempt);
  });

  it('refresh() reads during the pause after a failure, and its success ends the pause', async () => {
    const { credentials, clock } = provider();
    await credentials.get();
    secretsManager.failWith({ status: 400, type: 'AccessDeniedException', message: 'no' });
    clock.nowMs += SECRET_CACHE_TTL_MS;
    await credentials.get();
    secretsManager.failWith(undefined);
    secretsManager.setSecret(SECRET_ID, secretJson(KEY_B));
    const readsBefore = secretsManager.reads;

    const refreshed = await credentials.refresh();
    const next = await credentials.get();

    expect(refreshed.secretKey).toBe(KEY_B);
    expect(next.secretKey).toBe(KEY_B);
    expect(secretsManager.reads - readsBefore).toBe(1);
  });
});
