import { randomInt } from 'node:crypto';
import { DEMO_CUSTOM_TAGS, DEMO_PROFILES } from '../../infra/local/demo-profiles.ts';
import { type EmulatorOptions, PORTRAIT_GET_PATH, TencentEmulator } from '../../infra/local/emulator.ts';
import type { PortraitGetResponse } from '../../shared/tencent/portrait-types.ts';
import { restApiQuery } from '../../shared/tencent/rest-query.ts';
import { type SignOptions, signUserSig } from '../../shared/tencent/usersig.ts';

/** The admin credentials test emulators are started with. */
export const TEST_CREDENTIALS = {
  sdkAppId: 1_400_123_456,
  identifier: 'test-admin',
  secretKey: 'test-secret-key-0f1e2d3c4b5a69788796a5b4c3d2e1f0',
} as const;

/**
 * Starts an emulator for {@link TEST_CREDENTIALS} on a free loopback port, with the demo profiles
 * (`alice` … `judy`, `user0001` … `user1000`, custom tag `Tag_Profile_Custom_Team`) unless overridden.
 */
export function startTestEmulator(overrides: Partial<EmulatorOptions> = {}): Promise<TencentEmulator> {
  return TencentEmulator.start({
    sdkAppId: TEST_CREDENTIALS.sdkAppId,
    adminIdentifier: TEST_CREDENTIALS.identifier,
    secretKey: TEST_CREDENTIALS.secretKey,
    profiles: DEMO_PROFILES,
    customTags: [...DEMO_CUSTOM_TAGS],
    ...overrides,
  });
}

/** A UserSig for {@link TEST_CREDENTIALS}, any field overridable (e.g. a rotated key, another identifier). */
export function testUserSig(
  identity: Partial<{ sdkAppId: number; identifier: string; secretKey: string }> = {},
  options: SignOptions = {},
): string {
  return signUserSig({ ...TEST_CREDENTIALS, ...identity }, options);
}

export type QueryParameter = 'sdkappid' | 'identifier' | 'usersig' | 'random' | 'contenttype';

/**
 * A correctly signed call URL for {@link TEST_CREDENTIALS}. An override replaces a query parameter;
 * `null` leaves it out. `path` defaults to portrait_get.
 */
export function signedUrl(
  origin: string,
  overrides: Partial<Record<QueryParameter, string | null>> = {},
  path: string = PORTRAIT_GET_PATH,
): string {
  const query = restApiQuery(TEST_CREDENTIALS, testUserSig(), randomInt(0, 2 ** 32));
  for (const [name, value] of Object.entries(overrides)) {
    if (value === null) query.delete(name);
    else if (value !== undefined) query.set(name, value);
  }
  const url = new URL(path, origin);
  url.search = query.toString();
  return url.href;
}

export interface EmulatorReply {
  status: number;
  body: PortraitGetResponse;
}

/** POSTs `body` (JSON-encoded unless already a string) to `url` and parses the JSON reply. */
export async function postJson(url: string, body: unknown): Promise<EmulatorReply> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as PortraitGetResponse };
}

/** One signed portrait_get call to the emulator. */
export function portraitGet(
  emulator: TencentEmulator,
  body: unknown,
  overrides: Partial<Record<QueryParameter, string | null>> = {},
): Promise<EmulatorReply> {
  return postJson(signedUrl(emulator.url, overrides), body);
}
