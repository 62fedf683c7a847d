/** The Tencent admin credentials the gateway signs with (the secret's JSON: README.md, "Deploy to AWS"). */
export interface TencentCredentials {
  sdkAppId: number;
  identifier: string;
  secretKey: string;
  callbackToken?: string;
}
