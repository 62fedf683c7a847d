/** The Tencent admin credentials the gateway signs with (the secret's JSON, DESIGN.md §2). */
export interface TencentCredentials {
  sdkAppId: number;
  identifier: string;
  secretKey: string;
  callbackToken?: string;
}

/** Where credentials come from: a static set (local) or Secrets Manager (cloud). */
export interface CredentialsProvider {
  /** The current credentials, from a cache when it is fresh. */
  get(): Promise<TencentCredentials>;
  /** Reads the source again, bypassing any cache (after a signature error: the key may have rotated). */
  refresh(): Promise<TencentCredentials>;
}

/** A provider for credentials that never change (local mode, tests). */
export function staticCredentials(credentials: TencentCredentials): CredentialsProvider {
  return { get: async () => credentials, refresh: async () => credentials };
}
