import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyResult, SQSBatchResponse } from 'aws-lambda';
import { FUNCTION_MEMORY_MB } from '../infra/api-routes.ts';
import { demoAccountName } from '../infra/local/demo-profiles.ts';
import { sqsEvent } from '../infra/local/sqs-event.ts';
import { DEFAULTS } from '../shared/config.ts';
import { createPortraitHttpHandler } from '../shared/http/portrait-http-handler.ts';
import { METRIC } from '../shared/metric-catalog.ts';
import { createPortraitQueueHandler } from '../shared/queue/portrait-queue-handler.ts';
import { createTestTable } from '../test/support/dynalite.ts';
import { TEST_CREDENTIALS } from '../test/support/emulator-factory.ts';
import { GatewayHarness } from '../test/support/gateway-harness.ts';
import { apiGatewayEvent, lambdaContext } from '../test/support/lambda-events.ts';
import {
  LIST_PRICES,
  type MeasuredRun,
  perMillionProfiles,
  SQS_BILLING_CHUNK_BYTES,
  sqsBilledRequests,
  UPSTREAM_ROUND_TRIP_MS,
} from './cost-model.ts';
import { DynamoMeter, type DynamoUsage } from './dynamodb-meter.ts';
import { fixed, median } from './stats.ts';
import { TAGS } from './workload.ts';

/** Share of the accounts asked for that the cache holds. */
export const COST_HIT_RATIOS = [0, 0.5, 0.9] as const;

/**
 * The request shapes measured: one account a request (each read its own request, the dearest), a
 * call's worth (100), and the queue path with 10 messages of 100 in one batch (its coalescing).
 */
export const COST_SHAPES = [
  { path: 'HTTP', accountsPerRequest: 1, requests: 500 },
  { path: 'HTTP', accountsPerRequest: 100, requests: 10 },
  { path: 'queue', accountsPerRequest: 100, requests: 10 },
] as const;

/** The emulator's rate, far above the load: this measures what a call costs, not a refusal. */
const UNCONSTRAINED_RATE = 10_000;
/**
 * The gateway keeps the deployed ceiling: the limiter reserves ⌈L / 250⌉ call times per write, so
 * at a ceiling of 10,000/s one write would cover 40 calls and its cost would read far below the
 * one write per call it costs deployed.
 */
const GATEWAY_RATE = DEFAULTS.rateLimitPerSecond;
const REQUEST_BUDGET_MS = 10_000;

type Shape = (typeof COST_SHAPES)[number];

/** One shape at one hit ratio: what it did in total, and per request. */
export interface CostRow extends MeasuredRun {
  shape: Shape;
  hitRatio: number;
  /** Hits ÷ accounts, from the CacheHits and CacheMisses metrics the functions wrote. */
  measuredHitRatio: number;
  dynamo: DynamoUsage;
  /** Median invocation time on loopback, ms. */
  medianMs: number;
}

/** The accounts of request `r`; account i of the run is cached when (i mod 10) < 10 × hit ratio. */
function accountsOf(shape: Shape, r: number): string[] {
  return Array.from({ length: shape.accountsPerRequest }, (_, k) =>
    demoAccountName(r * shape.accountsPerRequest + k + 1),
  );
}

const isCached = (index: number, hitRatio: number) => index % 10 < Math.round(hitRatio * 10);

/**
 * Runs `work` with stdout and stderr collected instead of printed (the functions' logs and EMF);
 * `restart()` drops what was collected so far.
 */
async function collectingOutput<T>(
  work: (restart: () => void) => Promise<T>,
): Promise<{ result: T; lines: string[] }> {
  const chunks: string[] = [];
  const original = { out: process.stdout.write, err: process.stderr.write };
  const collect = (chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  process.stdout.write = collect as typeof process.stdout.write;
  process.stderr.write = collect as typeof process.stderr.write;
  try {
    const result = await work(() => {
      chunks.length = 0;
    });
    return { result, lines: chunks.join('').split('\n') };
  } finally {
    process.stdout.write = original.out;
    process.stderr.write = original.err;
  }
}

/** The sum of one metric over the EMF lines written. */
function metricSum(lines: string[], name: string): number {
  return lines
    .filter((line) => line.startsWith('{') && line.includes('"_aws"'))
    .flatMap((line) => (JSON.parse(line) as Record<string, unknown>)[name])
    .reduce((sum: number, value) => sum + (typeof value === 'number' ? value : 0), 0);
}

async function measure(harness: GatewayHarness, shape: Shape, hitRatio: number): Promise<CostRow> {
  const tableName = await createTestTable(harness.dynalite.client);
  const gateway = harness.gateway({
    TABLE_NAME: tableName,
    RATE_LIMIT_PER_SECOND: String(GATEWAY_RATE),
  });
  const meter = new DynamoMeter(gateway.dynamodb, TEST_CREDENTIALS.sdkAppId);
  const requests = Array.from({ length: shape.requests }, (_, r) => accountsOf(shape, r));
  const all = requests.flat();
  const cached = all.filter((_, i) => isCached(i, hitRatio));
  const memoryMb = shape.path === 'HTTP' ? FUNCTION_MEMORY_MB.http : FUNCTION_MEMORY_MB.queue;
  const durations: number[] = [];
  let sqs = { calls: 0, bytes: 0 };

  const { result: upstreamCalls, lines } = await collectingOutput(async (restart) => {
    for (let i = 0; i < cached.length; i += 100) {
      await gateway.service.get(cached.slice(i, i + 100), TAGS, {
        deadlineMs: Date.now() + REQUEST_BUDGET_MS,
      });
    }
    const invoke = shape.path === 'HTTP' ? httpInvoker(gateway) : queueInvoker(gateway);
    // The cold start (secret, first connections) is not what a million reads cost.
    await invoke([['costs-warm-up']]);
    restart();
    meter.reset();
    meter.running = true;
    const upstreamBefore = harness.emulator.calls.length;
    const sqsCallsBefore = harness.sqs.calls.length;
    const sentBefore = harness.sqs.sent.length;
    const batches = shape.path === 'HTTP' ? requests.map((accounts) => [accounts]) : [requests];
    for (const batch of batches) durations.push(await invoke(batch));
    meter.running = false;
    sqs = {
      calls: harness.sqs.calls.slice(sqsCallsBefore).filter((c) => c === 'SendMessageBatch').length,
      bytes: harness.sqs.sent.slice(sentBefore).reduce((sum, m) => sum + Buffer.byteLength(m.body), 0),
    };
    return harness.emulator.calls.length - upstreamBefore;
  });

  const hits = metricSum(lines, METRIC.CacheHits);
  const misses = metricSum(lines, METRIC.CacheMisses);
  const requestBytes = requests.map((accounts) => Buffer.byteLength(queueBody(accounts, 0)));
  const run: MeasuredRun = {
    accounts: all.length,
    apiRequests: shape.path === 'HTTP' ? shape.requests : 0,
    invocations: durations.length,
    billedMs: durations.reduce((sum, ms) => sum + Math.ceil(ms), 0),
    memoryMb,
    upstreamCalls,
    readUnits: meter.usage.readUnits,
    writeUnits: meter.usage.cacheWriteUnits + meter.usage.limiterWriteUnits,
    sqsRequests: shape.path === 'queue' ? queueSqsRequests(requestBytes, sqs) : 0,
  };
  return {
    ...run,
    shape,
    hitRatio,
    measuredHitRatio: hits / (hits + misses),
    dynamo: { ...meter.usage },
    medianMs: median(durations),
  };
}

type Invoke = (batch: string[][]) => Promise<number>;

/** One API Gateway request for the batch's one list of accounts; resolves to its duration. */
function httpInvoker(gateway: Parameters<typeof createPortraitHttpHandler>[0]): Invoke {
  const handler = createPortraitHttpHandler(gateway);
  return async ([accounts]) => {
    const started = performance.now();
    const reply = (await handler(
      apiGatewayEvent({ body: { To_Account: accounts, TagList: TAGS } }),
      lambdaContext({ remainingMs: REQUEST_BUDGET_MS }),
    )) as APIGatewayProxyResult;
    const ms = performance.now() - started;
    if (reply.statusCode !== 200) throw new Error(`the HTTP function answered ${reply.statusCode}`);
    return ms;
  };
}

const queueBody = (accounts: string[], i: number) =>
  JSON.stringify({ To_Account: accounts, TagList: TAGS, CorrelationId: `costs-${i}` });

/** One SQS batch of the messages; resolves to the invocation's duration. */
function queueInvoker(gateway: Parameters<typeof createPortraitQueueHandler>[0]): Invoke {
  const handler = createPortraitQueueHandler(gateway);
  return async (messages) => {
    const event = sqsEvent(messages.map((accounts, i) => ({ body: queueBody(accounts, i) })));
    const started = performance.now();
    const reply = (await handler(event, lambdaContext({ remainingMs: 30_000 }))) as SQSBatchResponse;
    const ms = performance.now() - started;
    if (reply.batchItemFailures.length > 0) throw new Error('the queue function left messages for a retry');
    return ms;
  };
}

/**
 * SQS requests billed for one batch of messages: each sender's SendMessage, Lambda's poller
 * receiving the batch and deleting it, the results published (the SendMessageBatch calls measured,
 * their payload in 64 KiB chunks), and the caller's consumer receiving and deleting the results
 * in tens.
 */
function queueSqsRequests(requestBytes: number[], results: { calls: number; bytes: number }): number {
  const sends = requestBytes.reduce((sum, bytes) => sum + sqsBilledRequests(bytes), 0);
  const pollerReceive = sqsBilledRequests(requestBytes.reduce((a, b) => a + b, 0));
  const pollerDelete = 1;
  const published = Math.max(results.calls, Math.ceil(results.bytes / SQS_BILLING_CHUNK_BYTES));
  const consumerReceive = published;
  const consumerDelete = Math.ceil(requestBytes.length / 10);
  return sends + pollerReceive + pollerDelete + published + consumerReceive + consumerDelete;
}

/**
 * Every shape at every hit ratio, each on a fresh table of one dynalite, with the Tencent IM
 * emulator, loopback Secrets Manager and SQS: the real handlers, invoked as Lambda invokes them.
 */
export async function runCosts(): Promise<CostRow[]> {
  const harness = await GatewayHarness.start({ ratePerSecond: UNCONSTRAINED_RATE });
  try {
    const rows: CostRow[] = [];
    for (const shape of COST_SHAPES) {
      for (const hitRatio of COST_HIT_RATIOS) rows.push(await measure(harness, shape, hitRatio));
    }
    return rows;
  } finally {
    await harness.close();
  }
}

const label = (shape: Shape) =>
  `${shape.path}, ${shape.accountsPerRequest} account${shape.accountsPerRequest > 1 ? 's' : ''} a ${shape.path === 'HTTP' ? 'request' : 'message'}`;
const pct = (ratio: number) => `${fixed(ratio * 100, 0)} %`;

/** The operations per request (per message on the queue path), as measured. */
export function operationsTable(rows: CostRow[]): string {
  return [
    '| operations per request (queue: per message), measured | hit ratio | DynamoDB calls | read units | cache write units | limiter write units (refused) | upstream calls | Lambda ms, median invocation (loopback) | SQS requests |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const per = (n: number) => fixed(n / r.shape.requests, 2);
      return `| ${label(r.shape)} | ${pct(r.measuredHitRatio)} | ${per(r.dynamo.calls)} | ${per(r.dynamo.readUnits)} | ${per(r.dynamo.cacheWriteUnits)} | ${per(r.dynamo.limiterWriteUnits)} (${per(r.dynamo.refusedWrites)}) | ${per(r.upstreamCalls)} | ${fixed(r.medianMs, 1)} | ${per(r.sqsRequests)} |`;
    }),
  ].join('\n');
}

/** Units and dollars per million profile reads, at {@link LIST_PRICES}. */
export function perMillionTable(rows: CostRow[]): string {
  const usd = (n: number) => `$${fixed(n, 2)}`;
  return [
    `| per million profile reads (${LIST_PRICES.region} list prices of ${LIST_PRICES.asOf}; Lambda time + ${UPSTREAM_ROUND_TRIP_MS} ms per upstream call) | hit ratio | Lambda GB-s | Lambda | API Gateway | DynamoDB read / write units | DynamoDB | SQS requests | SQS | total |`,
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const m = perMillionProfiles(r);
      return `| ${label(r.shape)} | ${pct(r.measuredHitRatio)} | ${fixed(m.lambdaGbSeconds, 0)} | ${usd(m.dollars.lambda)} | ${usd(m.dollars.api)} | ${fixed(m.readUnits, 0)} / ${fixed(m.writeUnits, 0)} | ${usd(m.dollars.dynamo)} | ${fixed(m.sqsRequests, 0)} | ${usd(m.dollars.sqs)} | ${usd(m.dollars.total)} |`;
    }),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await runCosts();
  console.log([operationsTable(rows), '', perMillionTable(rows), ''].join('\n'));
}
