import { createRequire } from 'node:module';
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { DEMO_CREDENTIALS } from '../infra/local/demo-profiles.ts';
import { profileKey } from '../shared/cache/cached-item.ts';
import { PARTITION_KEY } from '../shared/table-definition.ts';
import { loopbackClients } from '../test/support/dynalite.ts';
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

/** Latency of one way to read cached accounts against a bare BatchGetItem of the same items. */
export interface LatencyComparison {
  p50Ms: number;
  p99Ms: number;
  batchGetP50Ms: number;
  batchGetP99Ms: number;
}

/** Cached profile items of one app in one table. */
export interface CachedItems {
  dynamodbEndpoint: string;
  tableName: string;
  sdkAppId: number;
  accounts: readonly string[];
}

/**
 * `read` (which must serve `items` whole from the cache, or throw) timed against a bare
 * BatchGetItem of the same items on the same DynamoDB, 400 of each, interleaved so both see the
 * same machine.
 */
export async function compareWithBatchGet(
  read: () => Promise<void>,
  items: CachedItems,
): Promise<LatencyComparison> {
  const { documentClient, client } = loopbackClients(items.dynamodbEndpoint);
  const keys = items.accounts.map((account) => ({
    [PARTITION_KEY]: profileKey(items.sdkAppId, account),
  }));
  const subject: number[] = [];
  const batchGet: number[] = [];
  try {
    for (let i = 0; i < SAMPLES; i++) {
      let started = performance.now();
      await read();
      subject.push(performance.now() - started);
      started = performance.now();
      const output = await documentClient.send(
        new BatchGetCommand({ RequestItems: { [items.tableName]: { Keys: keys } } }),
      );
      batchGet.push(performance.now() - started);
      if ((output.Responses?.[items.tableName]?.length ?? 0) !== keys.length)
        throw new Error('BatchGetItem missed cached items');
    }
  } finally {
    client.destroy();
  }
  return {
    p50Ms: percentile(subject, 50),
    p99Ms: percentile(subject, 99),
    batchGetP50Ms: percentile(batchGet, 50),
    batchGetP99Ms: percentile(batchGet, 99),
  };
}

export interface WarmCacheResult extends LatencyComparison {
  requestsPerSecond: number;
  autocannonP50Ms: number;
  autocannonP99Ms: number;
  autocannonNon2xx: number;
}

/**
 * 100 cached accounts: sequential requests through the gateway against a bare BatchGetItem
 * ({@link compareWithBatchGet}); then autocannon at concurrency 32 for 10 s on the same request.
 */
export async function runWarmCache(
  gatewayUrl: string,
  dynamodbEndpoint: string,
  tableName: string,
): Promise<WarmCacheResult> {
  const accounts = workloadAccounts(0, WARM_ACCOUNTS);
  const warm = await viaGateway(gatewayUrl, accounts);
  if (!warm.complete) throw new Error(`warming the cache failed with HTTP ${warm.status}`);
  const comparison = await compareWithBatchGet(
    async () => {
      const served = await viaGateway(gatewayUrl, accounts);
      if (!served.complete) throw new Error(`a warm request was not served whole (HTTP ${served.status})`);
    },
    { dynamodbEndpoint, tableName, sdkAppId: DEMO_CREDENTIALS.sdkAppId, accounts },
  );

  const load = await autocannon({
    url: `${gatewayUrl}/v4/profile/portrait_get`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ To_Account: accounts, TagList: TAGS }),
    connections: CONCURRENCY,
    duration: AUTOCANNON_SECONDS,
  });
  return {
    ...comparison,
    requestsPerSecond: load.requests.average,
    autocannonP50Ms: load.latency.p50,
    autocannonP99Ms: load.latency.p99,
    autocannonNon2xx: load.non2xx + load.errors + load.timeouts,
  };
}
