import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AWS_CLIENT_TIMEOUTS, type AwsEndpointSettings, awsClientOptions } from './aws-client-settings.ts';

/**
 * DynamoDB answers the gateway's single-item and batch calls in milliseconds; a call still open
 * after a second sits on a dead pooled socket (Lambda freeze) or a sick connection. Failing it
 * fast is cheap: the cache then reads as misses or drops the write, and the rate limiter fails
 * closed for that attempt. Two attempts (one retry) also cover one dead socket or one throttle,
 * so a single call costs at most about 2 × 1 s plus the SDK's backoff, well inside any deadline.
 * A retried schedule write whose first attempt did land only wastes the times it reserved: the safe way.
 */
export const DYNAMODB_TIMEOUTS = {
  connectionTimeoutMs: AWS_CLIENT_TIMEOUTS.connectionTimeoutMs,
  requestTimeoutMs: 1_000,
  maxAttempts: 2,
} as const;

export interface DynamoDbClients {
  /** For table administration (`ensureTable`). */
  client: DynamoDBClient;
  /** Plain JavaScript values in and out; shares `client`'s configuration and middleware stack. */
  documentClient: DynamoDBDocumentClient;
}

/**
 * Builds the DynamoDB clients with {@link DYNAMODB_TIMEOUTS}. Build once at module scope and keep
 * them (warm invocations reuse the sockets). `settings.endpoint` points them at a local
 * DynamoDB-compatible server such as dynalite (`DYNAMODB_ENDPOINT`); region and credentials default
 * as in {@link awsClientOptions}. Numbers beyond 2^53 are read back as (imprecise) numbers, never
 * as BigInt, because every value the gateway stores came from JSON.
 */
export function createDynamoDbClients(settings: AwsEndpointSettings = {}): DynamoDbClients {
  const base = awsClientOptions(settings);
  const client = new DynamoDBClient({
    ...base,
    maxAttempts: DYNAMODB_TIMEOUTS.maxAttempts,
    requestHandler: {
      ...base.requestHandler,
      connectionTimeout: DYNAMODB_TIMEOUTS.connectionTimeoutMs,
      requestTimeout: DYNAMODB_TIMEOUTS.requestTimeoutMs,
    },
  });
  const documentClient = DynamoDBDocumentClient.from(client, {
    marshallOptions: { allowImpreciseNumbers: true },
    unmarshallOptions: { wrapNumbers: Number },
  });
  return { client, documentClient };
}
