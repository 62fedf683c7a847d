import { DEMO_NUMBERED_ACCOUNTS, demoAccountName } from '../infra/local/demo-profiles.ts';
import type { PortraitService } from '../shared/portrait/portrait-service.ts';
import { TEST_CREDENTIALS } from '../test/support/emulator-factory.ts';
import {
  deadlineIn,
  freshTable,
  type ServiceParts,
  serviceInstance,
  startServiceParts,
} from '../test/support/service-fixture.ts';
import { CEILING } from './ceiling.ts';
import { compareWithBatchGet, type LatencyComparison, WARM_ACCOUNTS } from './warm-cache.ts';
import { TAGS } from './workload.ts';

/** Every demo account, none cached at first. */
export const UNCACHED_ACCOUNTS = DEMO_NUMBERED_ACCOUNTS;
/** Accounts per request: whole calls of 100, a part-filled last call, and requests far below one call. */
export const REQUEST_SIZES = [1000, 250, 100, 37] as const;
/** Far more than any request here takes: the deadline must not shape the counts. */
const REQUEST_BUDGET_MS = 10_000;

export interface UpstreamCost {
  requestSize: number;
  requests: number;
  /** Calls that reached the emulator. */
  upstreamCalls: number;
  /** Ideal 1.0: one call per 100 accounts. */
  callsPer100Accounts: number;
}

export interface ServiceResult {
  costs: UpstreamCost[];
  /** 100 cached accounts read through `PortraitService.get`, no HTTP. */
  warm: LatencyComparison;
}

const accountsFrom = (first: number, count: number): string[] =>
  Array.from({ length: count }, (_, i) => demoAccountName(first + i));

/** Serves `accounts` through the service and throws unless every profile came back. */
async function getWhole(service: PortraitService, accounts: readonly string[]): Promise<number> {
  const { response, stats } = await service.get(accounts, TAGS, {
    deadlineMs: deadlineIn(REQUEST_BUDGET_MS),
  });
  const served = (response.UserProfileItem ?? []).filter((item) => item.ResultCode === 0).length;
  if (served !== accounts.length)
    throw new Error(`the service served ${served} of ${accounts.length} accounts`);
  return stats.cacheHits;
}

/** All 1000 demo accounts, uncached, in requests of `requestSize` one after another, on a fresh table. */
async function upstreamCost(
  parts: ServiceParts,
  requestSize: number,
): Promise<{ cost: UpstreamCost; service: PortraitService; tableName: string }> {
  const tableName = await freshTable(parts);
  const { service } = serviceInstance(parts, { tableName, ceilingPerSecond: CEILING });
  parts.emulator.resetCalls();
  let requests = 0;
  for (let first = 1; first <= UNCACHED_ACCOUNTS; first += requestSize) {
    await getWhole(service, accountsFrom(first, Math.min(requestSize, UNCACHED_ACCOUNTS + 1 - first)));
    requests += 1;
  }
  const upstreamCalls = parts.emulator.calls.length;
  return {
    cost: {
      requestSize,
      requests,
      upstreamCalls,
      callsPer100Accounts: (upstreamCalls * 100) / UNCACHED_ACCOUNTS,
    },
    service,
    tableName,
  };
}

/**
 * PortraitService in this process, built from the real adapters over an in-process dynalite and
 * Tencent IM emulator (the test fixture): upstream calls per 100 uncached accounts for each of
 * {@link REQUEST_SIZES}, then 100 of the now cached accounts read through the service against a
 * bare BatchGetItem of the same items ({@link compareWithBatchGet}).
 */
export async function runService(): Promise<ServiceResult> {
  const parts = await startServiceParts(CEILING);
  try {
    const costs: UpstreamCost[] = [];
    let last: Awaited<ReturnType<typeof upstreamCost>> | undefined;
    for (const size of REQUEST_SIZES) {
      last = await upstreamCost(parts, size);
      costs.push(last.cost);
    }
    if (last === undefined) throw new Error('no request size to measure');
    const { service, tableName } = last;
    const accounts = accountsFrom(1, WARM_ACCOUNTS);
    const callsBefore = parts.emulator.calls.length;
    const warm = await compareWithBatchGet(
      async () => {
        if ((await getWhole(service, accounts)) !== WARM_ACCOUNTS)
          throw new Error('a warm read through the service missed the cache');
      },
      { dynamodbEndpoint: parts.dynamo.endpoint, tableName, sdkAppId: TEST_CREDENTIALS.sdkAppId, accounts },
    );
    if (parts.emulator.calls.length !== callsBefore) throw new Error('a warm read went upstream');
    return { costs, warm };
  } finally {
    await parts.close();
  }
}
