import { isLoopbackHost } from './tencent/regions.ts';

/**
 * Where an AWS SDK client sends its calls. In Lambda everything comes from the environment; local
 * runs and tests point a client at a loopback endpoint with throwaway credentials.
 */
export interface AwsEndpointSettings {
  /** A full URL such as `http://127.0.0.1:4566`; default: the SDK's endpoint for the region. */
  endpoint?: string;
  /** Default: `AWS_REGION` (set by Lambda), else `us-east-1` so local runs need no AWS profile. */
  region?: string;
  /**
   * Default: {@link LOOPBACK_AWS_CREDENTIALS} for an endpoint on this machine, else the SDK's
   * credential chain (the function's role in Lambda).
   */
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

/**
 * What a client sends to a server on this machine (dynalite, the local SQS): such servers check
 * the protocol, not the signature. Using them instead of the SDK's credential chain keeps a local
 * run away from the ambient AWS configuration: an `AWS_PROFILE` whose SSO session has expired or
 * that does not exist, a credentials file, instance metadata. It also keeps a real session token
 * from being sent in clear to a local port.
 */
export const LOOPBACK_AWS_CREDENTIALS: StaticAwsCredentials = {
  accessKeyId: 'local',
  secretAccessKey: 'local',
};

/** Whether `endpoint` is a URL of this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackEndpoint(endpoint: string): boolean {
  return URL.canParse(endpoint) && isLoopbackHost(new URL(endpoint).hostname);
}

/**
 * Constructor options shared by the gateway's AWS clients. An endpoint on this machine gets
 * {@link LOOPBACK_AWS_CREDENTIALS} unless `settings.credentials` says otherwise.
 */
export function awsClientOptions(settings: AwsEndpointSettings = {}) {
  const credentials =
    settings.credentials ??
    (settings.endpoint !== undefined && isLoopbackEndpoint(settings.endpoint)
      ? LOOPBACK_AWS_CREDENTIALS
      : undefined);
  return {
    region: settings.region ?? process.env.AWS_REGION ?? FALLBACK_REGION,
    maxAttempts: AWS_CLIENT_TIMEOUTS.maxAttempts,
    requestHandler: {
      connectionTimeout: AWS_CLIENT_TIMEOUTS.connectionTimeoutMs,
      requestTimeout: AWS_CLIENT_TIMEOUTS.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
    ...(settings.endpoint !== undefined && { endpoint: settings.endpoint }),
    ...(credentials !== undefined && { credentials }),
  };
}
