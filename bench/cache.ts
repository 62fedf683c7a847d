/**
 * The cache's numbers (docs/cache.md): upstream calls per 100 uncached accounts by request size
 * through the HTTP handler and through the queue consumer; the herd of one hot account at expiry,
 * with and without the early refresh, on one instance and on several sharing one table; and what
 * stale-if-error answers during an outage. Everything runs in this process on loopback parts (the
 * test harness: dynalite, the Tencent IM emulator, Secrets Manager and SQS).
 *
 * `node bench/cache.ts` runs this part alone and prints its tables; `npm run bench` runs it with
 * the rest (bench/run.ts).
 */
import { DEMO_NUMBERED_ACCOUNTS, demoAccountName } from '../infra/local/demo-profiles.ts';
import { sqsEvent } from '../infra/local/sqs-event.ts';
import { queueBatchSize } from '../infra/queue-batch.ts';
import { DEFAULTS } from '../shared/config.ts';
import type { QueueGateway } from '../shared/gateway.ts';
import { createPortraitHttpHandler } from '../shared/http/portrait-http-handler.ts';
import { createPortraitQueueHandler } from '../shared/queue/portrait-queue-handler.ts';
import type { PortraitGetResponse } from '../shared/tencent/portrait-types.ts';
import { createTestTable } from '../test/support/dynalite.ts';
import { GatewayHarness } from '../test/support/gateway-harness.ts';
import { apiGatewayEvent, lambdaContext } from '../test/support/lambda-events.ts';
import { ManualClock } from '../test/support/manual-clock.ts';
import { serviceInstance, startServiceParts } from '../test/support/service-fixture.ts';
import { fixed } from './stats.ts';

/** Accounts per request (HTTP) or per message (queue). */
export const REQUEST_SIZES = [1, 10, 37, 100, 1000] as const;
/** Messages per queue invocation: the SQS event source's batch as deployed with the default settings. */
export const QUEUE_BATCH_SIZE = queueBatchSize(DEFAULTS.rateLimitPerSecond, DEFAULTS.maxAccountsPerRequest);
/** Readers of the hot account, all reading at once, again and again. */
export const HERD_READERS = 50;
/** Instances sharing one table in the herd runs that span several. */
export const HERD_INSTANCES = 5;
/** Expiries observed per herd scenario. */
export const HERD_EXPIRIES = 3;
/** One round of the herd: every reader reads once, then the clock moves on this much. */
export const HERD_STEP_MS = 100;
/** Requests sent during the outage, and accounts in each. */
export const OUTAGE_REQUESTS = 20;
export const OUTAGE_ACCOUNTS = 100;
/** Share of the accounts the cache held (stale) when the outage began. */
export const OUTAGE_CACHED_SHARE = 0.8;

const NICK = 'Tag_Profile_IM_Nick';
const TAGS = [NICK];
const HTTP_REMAINING_MS = 15_000;
const QUEUE_REMAINING_MS = 60_000;

export interface CallCost {
  size: number;
  requests: number;
  calls: number;
  callsPer100: number;
}

export interface HerdResult {
  instances: number;
  earlyRefreshMs: number;
  /** Upstream calls per expiry, mean over {@link HERD_EXPIRIES}; and the most in one. */
  callsPerExpiry: number;
  mostCalls: number;
  /** Reads per expiry that waited for Tencent because the entry had expired, mean. */
  waitedPerExpiry: number;
}

export interface OutageResult {
  staleIfError: boolean;
  requests: number;
  answered200: number;
  accountsStale: number;
  accountsFailed: number;
}

export interface CacheBenchResult {
  http: CallCost[];
  queue: CallCost[];
  herd: HerdResult[];
  outage: OutageResult[];
}

const all = Array.from({ length: DEMO_NUMBERED_ACCOUNTS }, (_, i) => demoAccountName(i + 1));

/** Consecutive slices of at most `size`. */
const slices = <T>(values: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(values.length / size) }, (_, i) => values.slice(i * size, (i + 1) * size));

/** A gateway on a fresh table of the harness. */
async function freshGateway(
  harness: GatewayHarness,
  env: Record<string, string> = {},
): Promise<QueueGateway> {
  return harness.gateway({ TABLE_NAME: await createTestTable(harness.dynalite.client), ...env });
}

/** Runs `work` with the gateway's logs and EMF metrics silenced (Powertools reads both settings when it builds them). */
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const names = ['POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_METRICS_DISABLED'] as const;
  const saved = names.map((name) => process.env[name]);
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  try {
    return await work();
  } finally {
    names.forEach((name, i) => {
      const value = saved[i];
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    });
  }
}

const cost = (size: number, requests: number, calls: number): CallCost => ({
  size,
  requests,
  calls,
  callsPer100: (calls * 100) / all.length,
});

/** All demo accounts, uncached, in HTTP requests of `size` one after another; throws unless each is answered whole. */
async function httpCost(harness: GatewayHarness, size: number): Promise<CallCost> {
  const handler = createPortraitHttpHandler(await freshGateway(harness));
  harness.emulator.resetCalls();
  const requests = slices(all, size);
  for (const accounts of requests) {
    const reply = await handler(
      apiGatewayEvent({ body: { To_Account: accounts, TagList: TAGS } }),
      lambdaContext({ remainingMs: HTTP_REMAINING_MS }),
    );
    const body = JSON.parse(reply.body) as PortraitGetResponse;
    if (reply.statusCode !== 200 || body.Fail_Account !== undefined)
      throw new Error(`a request of ${size} accounts was answered ${reply.statusCode}`);
  }
  return cost(size, requests.length, harness.emulator.calls.length);
}

/** All demo accounts, uncached, in messages of `size`, delivered in batches of {@link QUEUE_BATCH_SIZE}. */
async function queueCost(harness: GatewayHarness, size: number): Promise<CallCost> {
  const handler = createPortraitQueueHandler(await freshGateway(harness));
  harness.emulator.resetCalls();
  const messages = slices(all, size).map((accounts) => ({ body: { To_Account: accounts, TagList: TAGS } }));
  for (const batch of slices(messages, QUEUE_BATCH_SIZE)) {
    const response = await handler(sqsEvent(batch), lambdaContext({ remainingMs: QUEUE_REMAINING_MS }));
    if (response.batchItemFailures.length > 0)
      throw new Error(`a batch of ${size}-account messages was not served`);
  }
  return cost(size, messages.length, harness.emulator.calls.length);
}

/**
 * One hot account on `instances` instances sharing one table and one manual clock, with
 * {@link HERD_READERS} readers spread over them. Each round every reader reads at once, then the
 * clock moves {@link HERD_STEP_MS}; rounds run from well before the account expires to past it,
 * {@link HERD_EXPIRIES} times, each time on the value the previous one left.
 */
async function herd(instances: number, earlyRefreshMs: number): Promise<HerdResult> {
  const parts = await startServiceParts();
  const fleet: ReturnType<typeof serviceInstance>[] = [];
  try {
    const tableName = await createTestTable(parts.dynamo.client);
    const clock = new ManualClock(Date.now());
    for (let i = 0; i < instances; i += 1)
      fleet.push(serviceInstance(parts, { tableName, now: clock.now, earlyRefreshMs }));
    const read = (reader: number) =>
      (fleet[reader % instances] as (typeof fleet)[number]).service.get(['alice'], TAGS, {
        deadlineMs: clock.now() + 5000,
      });
    await read(0);
    const ttlMs = DEFAULTS.cacheTtlSeconds * 1000;
    // From a scale before where the first early refresh falls (docs/cache.md, "Early refresh");
    // without the early refresh, from a second before expiry.
    const readsPerMs = HERD_READERS / HERD_STEP_MS;
    const leadMs = earlyRefreshMs === 0 ? 1000 : earlyRefreshMs * (Math.log(readsPerMs * earlyRefreshMs) + 1);
    let storedAt = clock.now();
    const calls: number[] = [];
    let waited = 0;
    for (let expiry = 0; expiry < HERD_EXPIRIES; expiry += 1) {
      const expiresAt = storedAt + ttlMs;
      clock.advance(expiresAt - leadMs - clock.now());
      parts.emulator.resetCalls();
      let refreshedAt: number | undefined;
      while (clock.now() < expiresAt + 500) {
        const afterExpiry = clock.now() >= expiresAt;
        const results = await Promise.all(Array.from({ length: HERD_READERS }, (_, reader) => read(reader)));
        for (const { stats } of results)
          if (afterExpiry && stats.earlyRefreshes === 0) waited += stats.cacheMisses;
        if (refreshedAt === undefined && parts.emulator.calls.length > 0) refreshedAt = clock.now();
        clock.advance(HERD_STEP_MS);
      }
      calls.push(parts.emulator.calls.length);
      storedAt = refreshedAt ?? storedAt;
    }
    return {
      instances,
      earlyRefreshMs,
      callsPerExpiry: calls.reduce((sum, n) => sum + n, 0) / HERD_EXPIRIES,
      mostCalls: Math.max(...calls),
      waitedPerExpiry: waited / HERD_EXPIRIES,
    };
  } finally {
    for (const { limiter } of fleet) limiter.close();
    await parts.close();
  }
}

/**
 * {@link OUTAGE_REQUESTS} requests of {@link OUTAGE_ACCOUNTS} accounts while Tencent answers 502,
 * through the HTTP handler of a gateway whose cache holds {@link OUTAGE_CACHED_SHARE} of the
 * accounts, every value past its freshness (a TTL of 0) but within the stale-if-error window.
 */
async function outage(harness: GatewayHarness, staleIfError: boolean): Promise<OutageResult> {
  const handler = createPortraitHttpHandler(await freshGateway(harness, { CACHE_TTL_SECONDS: '0' }));
  const held = all.slice(0, Math.round(all.length * OUTAGE_CACHED_SHARE));
  for (const accounts of slices(held, 100))
    await handler(
      apiGatewayEvent({ body: { To_Account: accounts, TagList: TAGS } }),
      lambdaContext({ remainingMs: HTTP_REMAINING_MS }),
    );
  harness.emulator.setFaults({ httpStatus: 502 });
  const result: OutageResult = {
    staleIfError,
    requests: 0,
    answered200: 0,
    accountsStale: 0,
    accountsFailed: 0,
  };
  try {
    for (let i = 0; i < OUTAGE_REQUESTS; i += 1) {
      const offset = (i * 379) % all.length;
      const accounts = Array.from(
        { length: OUTAGE_ACCOUNTS },
        (_, k) => all[(offset + k) % all.length] as string,
      );
      const reply = await handler(
        apiGatewayEvent({
          body: { To_Account: accounts, TagList: TAGS },
          headers: staleIfError ? {} : { 'Cache-Control': 'stale-if-error=0' },
        }),
        lambdaContext({ remainingMs: HTTP_REMAINING_MS }),
      );
      result.requests += 1;
      if (reply.statusCode !== 200) continue;
      result.answered200 += 1;
      result.accountsStale += Number(reply.headers?.['X-Cache-Stale'] ?? 0);
      result.accountsFailed += (JSON.parse(reply.body) as PortraitGetResponse).Fail_Account?.length ?? 0;
    }
  } finally {
    harness.emulator.clearFaults();
  }
  return result;
}

/** Every measurement of this file; see its header. */
export function runCache(): Promise<CacheBenchResult> {
  return quietly(async () => {
    const harness = await GatewayHarness.start();
    try {
      const http: CallCost[] = [];
      const queue: CallCost[] = [];
      for (const size of REQUEST_SIZES) {
        console.error(`bench: calls per 100 accounts, requests of ${size}`);
        http.push(await httpCost(harness, size));
        queue.push(await queueCost(harness, size));
      }
      console.error('bench: an outage, with and without stale-if-error');
      const outages = [await outage(harness, true), await outage(harness, false)];
      const herds: HerdResult[] = [];
      for (const instances of [1, HERD_INSTANCES])
        for (const earlyRefreshMs of [0, DEFAULTS.earlyRefreshMs]) {
          console.error(`bench: the herd, ${instances} instances, early refresh ${earlyRefreshMs} ms`);
          herds.push(await herd(instances, earlyRefreshMs));
        }
      return { http, queue, herd: herds, outage: outages };
    } finally {
      await harness.close();
    }
  });
}

/** The results as markdown tables. */
export function cacheTables(r: CacheBenchResult): string {
  const costRows = REQUEST_SIZES.map((size, i) => {
    const h = r.http[i] as CallCost;
    const q = r.queue[i] as CallCost;
    return `| ${size} | ${h.requests} | ${fixed(h.callsPer100)} | ${q.requests} in batches of ${QUEUE_BATCH_SIZE} | ${fixed(q.callsPer100)} |`;
  });
  const herdRows = r.herd.map(
    (h) =>
      `| ${h.instances} | ${h.earlyRefreshMs === 0 ? 'off' : `on (${h.earlyRefreshMs} ms)`} | ${fixed(h.callsPerExpiry, 1)} (most ${h.mostCalls}) | ${fixed(h.waitedPerExpiry, 1)} |`,
  );
  const outageRows = r.outage.map(
    (o) =>
      `| ${o.staleIfError ? `default (${DEFAULTS.staleIfErrorSeconds} s)` : '`stale-if-error=0`'} | ${o.answered200} of ${o.requests} | ${o.accountsStale} | ${o.accountsFailed} |`,
  );
  return [
    `| ${all.length} uncached accounts, requests (HTTP) or messages (queue) of | HTTP requests | HTTP calls per 100 accounts | queue messages | queue calls per 100 accounts |`,
    '|---|---|---|---|---|',
    ...costRows,
    '',
    `| herd: one hot account, ${HERD_READERS} readers at once every ${HERD_STEP_MS} ms, ${HERD_EXPIRIES} expiries; instances sharing one table | early refresh | upstream calls per expiry | reads per expiry that waited for Tencent |`,
    '|---|---|---|---|',
    ...herdRows,
    '',
    `| outage: Tencent answers 502; ${OUTAGE_REQUESTS} requests of ${OUTAGE_ACCOUNTS} accounts, ${OUTAGE_CACHED_SHARE * 100} % of them cached and past freshness | answered 200 | accounts served stale | accounts in Fail_Account |`,
    '|---|---|---|---|',
    ...outageRows,
  ].join('\n');
}

if (import.meta.main) console.log(cacheTables(await runCache()));
