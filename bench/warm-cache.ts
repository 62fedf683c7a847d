import { createRequire } from 'node:module';
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { DEMO_CREDENTIALS } from '../infra/local/demo-profiles.ts';
import { profileKey } from '../shared/cache/profile-cache.ts';
import { createDynamoDbClients } from '../shared/dynamodb-client.ts';
import { PARTITION_KEY } from '../shared/table-definition.ts';
import { percentile } from './stats.ts';
import { TAGS, viaGateway, workloadAccounts } from './workload.ts';

/** The subset of autocannon 9's programmatic API used here (it ships no types). */
interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  connections: number;
  duration: number;
}) => Promise<AutocannonResult>;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export const WARM_ACCOUNTS = 100;
const SAMPLES = 400;
export const CONCURRENCY = 32;
export const AUTOCANNON_SECONDS = 10;

export interface WarmCacheResult {
  gatewayP50Ms: number;
  gatewayP99Ms: number;
  batchGetP50Ms: number;
  batchGetP99Ms: number;
  requestsPerSecond: number;
  autocannonP50Ms: number;
  autocannonP99Ms: number;
  autocannonNon2xx: number;
}

/**
 * 100 cached accounts: sequential requests through the gateway against a bare BatchGetItem of the
 * same 100 items on the same DynamoDB, interleaved so both see the same machine; then autocannon at
 * concurrency 32 for 10 s on the same request.
 */
export async function runWarmCache(
  gatewayUrl: string,
  dynamodbEndpoint: string,
  tableName: string,
): Promise<WarmCacheResult> {
  const accounts = workloadAccounts(0, WARM_ACCOUNTS);
  const warm = await viaGateway(gatewayUrl, accounts);
  if (!warm.complete) throw new Error(`warming the cache failed with HTTP ${warm.status}`);

  const { documentClient, client } = createDynamoDbClients({
    endpoint: dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const keys = accounts.map((account) => ({
    [PARTITION_KEY]: profileKey(DEMO_CREDENTIALS.sdkAppId, account),
  }));
  const gateway: number[] = [];
  const batchGet: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    let started = performance.now();
    const served = await viaGateway(gatewayUrl, accounts);
    gateway.push(performance.now() - started);
    if (!served.complete) throw new Error(`a warm request was not served whole (HTTP ${served.status})`);
    started = performance.now();
    const read = await documentClient.send(
      new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys } } }),
    );
    batchGet.push(performance.now() - started);
    if ((read.Responses?.[tableName]?.length ?? 0) !== WARM_ACCOUNTS)
      throw new Error('BatchGetItem missed cached items');
  }
  client.destroy();

  const load = await autocannon({
    url: `${gatewayUrl}/v4/profile/portrait_get`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ To_Account: accounts, TagList: TAGS }),
    connections: CONCURRENCY,
    duration: AUTOCANNON_SECONDS,
  });
  return {
    gatewayP50Ms: percentile(gateway, 50),
    gatewayP99Ms: percentile(gateway, 99),
    batchGetP50Ms: percentile(batchGet, 50),
    batchGetP99Ms: percentile(batchGet, 99),
    requestsPerSecond: load.requests.average,
    autocannonP50Ms: load.latency.p50,
    autocannonP99Ms: load.latency.p99,
    autocannonNon2xx: load.non2xx + load.errors + load.timeouts,
  };
}
