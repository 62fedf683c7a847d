import type { TencentCredentials } from './credentials.ts';

/** The path of portrait_get on every Tencent REST origin. */
export const PORTRAIT_GET_PATH = '/v4/profile/portrait_get';

/**
 * The query string Tencent's REST API authenticates a call by: the app, its admin, the admin's
 * UserSig, a random uint32 and the content type. `random` is the caller's: Tencent uses it to tell
 * repeated calls apart.
 */
export function restApiQuery(
  credentials: Pick<TencentCredentials, 'sdkAppId' | 'identifier'>,
  userSig: string,
  random: number,
): URLSearchParams {
  return new URLSearchParams({
    sdkappid: String(credentials.sdkAppId),
    identifier: credentials.identifier,
    usersig: userSig,
    random: String(random),
    contenttype: 'json',
  });
}
