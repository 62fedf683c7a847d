import type { CredentialsProvider } from '../portrait/ports.ts';
import type { TencentCredentials } from '../tencent/credentials.ts';

/** A provider for credentials that never change (local mode, tests). */
export function staticCredentials(credentials: TencentCredentials): CredentialsProvider {
  return { get: async () => credentials, refresh: async () => credentials };
}
