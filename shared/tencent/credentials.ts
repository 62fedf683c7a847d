/** The Tencent admin credentials the gateway signs with (the secret's JSON, docs/deploy.md). */
export interface TencentCredentials {
  sdkAppId: number;
  identifier: string;
  secretKey: string;
  callbackToken?: string;
}
