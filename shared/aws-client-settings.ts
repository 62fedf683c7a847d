/**
 * Where an AWS SDK client sends its calls. In Lambda everything comes from the environment; local
 * runs and tests point a client at a loopback endpoint with throwaway credentials.
 */
export interface AwsEndpointSettings {
  /** A full URL such as `http://127.0.0.1:4566`; default: the SDK's endpoint for the region. */
  endpoint?: string;
  /** Default: `AWS_REGION` (set by Lambda), else `us-east-1` so local runs need no AWS profile. */
  region?: string;
  /** Default: the SDK's credential chain (the function's role in Lambda). */
  credentials?: StaticAwsCredentials;
}

export interface StaticAwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * Connect 1 s, whole request 3 s, two attempts. The SDK's defaults have no timeout at all, and a
 * Lambda waiting on a hung socket answers nobody; the gateway's own callers would rather see a
 * prompt 503 and retry.
 */
export const AWS_CLIENT_TIMEOUTS = {
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: 3_000,
  maxAttempts: 2,
} as const;

const FALLBACK_REGION = 'us-east-1';

/** Constructor options shared by the gateway's Secrets Manager and SQS clients. */
export function awsClientOptions(settings: AwsEndpointSettings = {}) {
  return {
    region: settings.region ?? process.env.AWS_REGION ?? FALLBACK_REGION,
    maxAttempts: AWS_CLIENT_TIMEOUTS.maxAttempts,
    requestHandler: {
      connectionTimeout: AWS_CLIENT_TIMEOUTS.connectionTimeoutMs,
      requestTimeout: AWS_CLIENT_TIMEOUTS.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
    ...(settings.endpoint !== undefined && { endpoint: settings.endpoint }),
    ...(settings.credentials !== undefined && { credentials: settings.credentials }),
  };
}
