/**
 * `npm run bench`: the gateway's numbers on this machine, printed as markdown and written to
 * bench/results.md. All load goes to 127.0.0.1, bounded in count and time (about 3 minutes on 2 cores, most of it waiting).
 *
 *   1. Ceiling: 3 gateway processes sharing one dynalite and one Tencent IM emulator (each its
 *      own process), demand at 3× the 200/s ceiling for 10 s, measured at the emulator.
 *   2. The same workload sent straight to the emulator (no cache, no shared limiter), and through
 *      the gateways with the cache on.
 *   3. Warm cache, 100 accounts per request: latency against a bare BatchGetItem; autocannon.
 *   4. The limiter alone: 3 processes on one dynalite and one emulator, at 0.2×, 1× and 3× the
 *      ceiling (3× for 10 s); the same workload in virtual time; then the overload case: a
 *      gateway at 2 calls/s sent six requests of 500 accounts at once.
 *   5. PortraitService in process: upstream calls per 100 uncached accounts by request size, and
 *      a warm read of 100 accounts against a bare BatchGetItem.
 *   6. Cold start: the `cdk synth` HTTP bundle against a bundle of only its AWS SDK clients.
 *   7. Costs: DynamoDB units, Lambda time, upstream calls and SQS requests per request at 0, 50 and
 *      90 % cache hits, and what a million profile reads cost at list prices (docs/costs.md).
 *   8. Webhook flood: one signed profile change of up to 180,000 tags to a fresh local gateway.
 *   9. The cache (bench/cache.ts): calls per 100 uncached accounts by request size via HTTP and
 *      the queue, the herd of a hot account at expiry, and stale answers during an outage.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { callSchedule } from '../shared/ratelimit/call-schedule.ts';
import { type GatewayProcess, startGatewayProcess } from '../test/support/gateway-process.ts';
import { startBackends } from './backends.ts';
import { cacheTables, runCache } from './cache.ts';
import {
  ACCOUNTS_PER_REQUEST,
  CEILING,
  type Client,
  DEMAND_FACTOR,
  LOAD_SECONDS,
  runScenario,
  type ScenarioResult,
} from './ceiling.ts';
import { type ColdStartResult, runColdStart } from './cold-start.ts';
import { operationsTable, perMillionTable, runCosts } from './costs.ts';
import { LIMITER_PROCESSES, limiterTables, runLimiter } from './limiter.ts';
import { runVirtualLimiter, virtualLimiterTable } from './limiter-virtual.ts';
import { overloadTable, runOverload } from './overload.ts';
import { runService, type ServiceResult, UNCACHED_ACCOUNTS } from './service.ts';
import { fixed } from './stats.ts';
import {
  AUTOCANNON_SECONDS,
  CONCURRENCY,
  type LatencyComparison,
  runWarmCache,
  WARM_ACCOUNTS,
  type WarmCacheResult,
} from './warm-cache.ts';
import { type FloodCase, runWebhookFlood } from './webhook-flood.ts';
import { agent, directClient, gatewayEnv, viaGateway } from './workload.ts';

const GATEWAYS = 3;
/** Requests one gateway process serves at once: the deployed function's reserved concurrency (50) split over 3. */
const GATEWAY_IN_FLIGHT = 16;
const TABLE_NAME = 'portrait-gateway-bench';
const RESULTS = new URL('./results.md', import.meta.url);

const kib = (bytes: number) => `${fixed(bytes / 1024, 0)} KiB`;
const ms = (value: number, digits = 1) => `${fixed(value, digits)} ms`;

function ceilingTable(gateway: ScenarioResult): string {
  const bound = callSchedule(CEILING);
  return [
    `| ${GATEWAYS} gateway processes, one DynamoDB, demand ${DEMAND_FACTOR}× the ceiling for ${LOAD_SECONDS} s | value |`,
    '|---|---|',
    `| ceiling (calls per second) | ${CEILING} |`,
    `| worst sliding second ÷ ceiling (must be ≤ 1) | ${fixed(gateway.worstSlidingSecond / CEILING)} (${gateway.worstSlidingSecond} calls) |`,
    `| achieved ÷ ceiling | ${fixed(gateway.upstreamOkPerSecond / CEILING)} (${fixed(gateway.upstreamOkPerSecond, 1)} calls/s) |`,
    `| achieved ÷ the bound L·1000/(1000 + m), m = ${bound.marginMs} ms (${fixed(bound.boundPerSecond, 1)} calls/s) | ${fixed(gateway.upstreamOkPerSecond / bound.boundPerSecond, 3)} |`,
    `| calls Tencent refused with 60007 | ${gateway.upstreamRefused60007} |`,
  ].join('\n');
}

function comparisonTable(results: ScenarioResult[]): string {
  const workload = `${ACCOUNTS_PER_REQUEST} account a request, ${CEILING * DEMAND_FACTOR} calls/s demanded, ${LOAD_SECONDS} s`;
  const header = [
    `| same workload (${workload}) | profiles served/s | requests answered whole | requests refused | upstream OK calls/s | calls refused by Tencent (60007) | worst sliding second |`,
    '|---|---|---|---|---|---|---|',
  ];
  const rows = results.map((r) =>
    [
      r.name,
      fixed(r.profilesServedPerSecond, 0),
      `${r.requestsComplete} of ${r.requestsDemanded}`,
      r.requestsRefused,
      fixed(r.upstreamOkPerSecond, 1),
      r.upstreamRefused60007,
      r.worstSlidingSecond,
    ].join(' | '),
  );
  return [...header, ...rows.map((row) => `| ${row} |`)].join('\n');
}

function warmCacheTable(w: WarmCacheResult): string {
  const autocannon = `autocannon, concurrency ${CONCURRENCY}, ${AUTOCANNON_SECONDS} s, one process: ${fixed(w.requestsPerSecond, 0)} requests/s (${w.autocannonNon2xx} not 2xx)`;
  return [
    `| warm cache, ${WARM_ACCOUNTS} accounts a request | p50 | p99 |`,
    '|---|---|---|',
    ...comparisonRows('through the gateway (HTTP, one at a time)', 'gateway', w),
    `| ${autocannon} | ${ms(w.autocannonP50Ms, 0)} | ${ms(w.autocannonP99Ms, 0)} |`,
  ].join('\n');
}

function comparisonRows(subject: string, short: string, c: LatencyComparison): string[] {
  return [
    `| ${subject} | ${ms(c.p50Ms)} | ${ms(c.p99Ms)} |`,
    `| bare BatchGetItem of the same ${WARM_ACCOUNTS} items | ${ms(c.batchGetP50Ms)} | ${ms(c.batchGetP99Ms)} |`,
    `| ${short} ÷ BatchGetItem | ${fixed(c.p50Ms / c.batchGetP50Ms)} | ${fixed(c.p99Ms / c.batchGetP99Ms)} |`,
  ];
}

function serviceTables(s: ServiceResult): string {
  const costs = s.costs.map(
    (c) => `| ${c.requestSize} | ${c.requests} | ${c.upstreamCalls} | ${fixed(c.callsPer100Accounts)} |`,
  );
  return [
    `| PortraitService in process, ${UNCACHED_ACCOUNTS} uncached accounts in requests of | requests | upstream calls | calls per 100 accounts (ideal 1.00) |`,
    '|---|---|---|---|',
    ...costs,
    '',
    `| PortraitService in process, warm cache, ${WARM_ACCOUNTS} accounts a request | p50 | p99 |`,
    '|---|---|---|',
    ...comparisonRows('through the service (no HTTP, one at a time)', 'service', s.warm),
  ].join('\n');
}

function coldStartTable(c: ColdStartResult): string {
  const sdk = c.sdkExternal ? 'SDK left to the Lambda runtime, loaded from node_modules here' : 'SDK bundled';
  const row = (name: string, m: ColdStartResult['artifact']) =>
    `| ${name} | ${kib(m.bytes)} | ${kib(m.gzipBytes)} | ${ms(m.importMedianMs, 0)} | ${ms(m.importP90Ms, 0)} |`;
  return [
    '| cold start (fresh Node 24 process, 10 runs each) | bundle | gzip | import median | import p90 |',
    '|---|---|---|---|---|',
    row(`the HTTP function (cdk synth, ${sdk})`, c.artifact),
    row(`only its SDK clients (${c.sdkPackages.join(', ')})`, c.baseline),
    `| difference | ${kib(c.artifact.bytes - c.baseline.bytes)} | ${kib(c.artifact.gzipBytes - c.baseline.gzipBytes)} | ${ms(c.artifact.importMedianMs - c.baseline.importMedianMs, 0)} | |`,
  ].join('\n');
}

function floodTable(cases: readonly FloodCase[]): string {
  return [
    '| webhook flood (one signed profile change, fresh `npm start`) | body | answer | acknowledged after | slowest concurrent read | peak memory |',
    '|---|---|---|---|---|---|',
    ...cases.map(
      (c) =>
        `| ${c.tags.toLocaleString('en')} custom tags | ${kib(c.bodyBytes)} | ${c.status ?? 'none in 30 s'} | ${ms(c.ackMs, 0)} | ${ms(c.slowestReadMs, 0)} | ${fixed(c.peakRssMiB, 0)} MiB |`,
    ),
  ].join('\n');
}

/** The load runs: ceiling and comparison, then warm cache; every process stopped afterwards. */
async function runLoad(): Promise<{ scenarios: ScenarioResult[]; warm: WarmCacheResult }> {
  const started: GatewayProcess[] = [];
  try {
    const { dynamodb, emulator } = await startBackends(started, CEILING);
    const env = gatewayEnv(emulator.url, dynamodb.url, TABLE_NAME, CEILING);
    const gateways = await Promise.all(
      Array.from({ length: GATEWAYS }, () => startGatewayProcess({ env, args: ['--quiet'] })),
    );
    started.push(...gateways);
    console.error(`bench: ${GATEWAYS} gateways, emulator ${emulator.url}, dynalite ${dynamodb.url}`);

    const throughGateways = (headers: Record<string, string>): Client[] =>
      gateways.map((g) => ({
        maxInFlight: GATEWAY_IN_FLIGHT,
        serve: (accounts) => viaGateway(g.url, accounts, headers),
      }));
    const runs: Array<[string, Client[]]> = [
      [`${GATEWAYS} gateways, \`Cache-Control: no-cache\``, throughGateways({ 'Cache-Control': 'no-cache' })],
      [
        'direct to Tencent: no cache, no shared limiter',
        [{ maxInFlight: 1000, serve: directClient(emulator.url) }],
      ],
      [`${GATEWAYS} gateways, cache on (warmed by the first run)`, throughGateways({})],
    ];
    const scenarios: ScenarioResult[] = [];
    for (const [name, clients] of runs) {
      console.error(`bench: ${name}`);
      scenarios.push(await runScenario(name, emulator.url, clients));
      // Lets the emulator's sliding second empty before the next run.
      await delay(1500);
    }
    console.error('bench: warm cache');
    const warm = await runWarmCache((gateways[0] as GatewayProcess).url, dynamodb.url, TABLE_NAME);
    return { scenarios, warm };
  } finally {
    await Promise.all(started.map((p) => p.stop()));
  }
}

const { scenarios, warm } = await runLoad();
const limiter = await runLimiter();
const virtualLimiter = await runVirtualLimiter();
console.error('bench: overload at 2 calls/s');
const overload = await runOverload();
console.error('bench: PortraitService in process');
const service = await runService();
console.error('bench: cold start (cdk synth, then fresh processes)');
const cold = await runColdStart();
console.error('bench: costs per request and per million profile reads');
const costs = await runCosts();
console.error('bench: webhook flood (a fresh gateway per case)');
const flood = await runWebhookFlood();
console.error('bench: the cache');
const cache = await runCache();
// The load runs and the limiter's share one keep-alive agent; nothing sends through it after here.
await agent.close();

const report = [
  '# Benchmarks',
  '',
  `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.versions.node}, ` +
    `${cpus().length} CPU cores, everything on 127.0.0.1. The gateways, dynalite and the emulator are separate ` +
    'processes sharing these cores with the load generator, so absolute throughput is this machine’s, not Lambda’s. ' +
    `The limiter run has its ${LIMITER_PROCESSES} processes, one dynalite and one emulator, and runs again in virtual time in one process; ` +
    'the PortraitService run has the service, dynalite and the emulator in one process.',
  '',
  ceilingTable(scenarios[0] as ScenarioResult),
  '',
  comparisonTable(scenarios),
  '',
  warmCacheTable(warm),
  '',
  limiterTables(limiter),
  '',
  virtualLimiterTable(virtualLimiter),
  '',
  overloadTable(overload),
  '',
  serviceTables(service),
  '',
  coldStartTable(cold),
  '',
  operationsTable(costs),
  '',
  perMillionTable(costs),
  '',
  floodTable(flood),
  '',
  cacheTables(cache),
  '',
].join('\n');
writeFileSync(RESULTS, report);
console.log(report);
