import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { planWindow, type WindowBudget } from '../shared/ratelimit/window-budget.ts';
import { ensureTable } from '../shared/table-definition.ts';
import { loopbackClients } from '../test/support/dynalite.ts';
import { startGatewayProcess } from '../test/support/gateway-process.ts';
import { busiestSecond } from '../test/support/sliding-second.ts';
import { CEILING, DEMAND_FACTOR, LOAD_SECONDS } from './ceiling.ts';
import type { LimiterPlan, LimiterWorkerReport, StartSignal, WorkerMessage } from './limiter-worker.ts';

export const LIMITER_PROCESSES = 3;
/** How long each acquire may wait for a slot, as a request with a quarter second to spare would. */
export const ACQUIRE_BUDGET_MS = 250;
const WORKER = fileURLToPath(new URL('./limiter-worker.ts', import.meta.url));
const TABLE_NAME = 'portrait-gateway-bench-limiter';
const SDK_APP_ID = 1_400_000_000;
/** Time for the start signal to reach every worker before their common start. */
const START_DELAY_MS = 200;
/** A worker still running after this is killed: the load is 10 s, the rest is start-up. */
const WORKER_TIMEOUT_MS = 60_000;

export interface LimiterResult {
  acquiresOffered: number;
  /** Slots granted during the 10 s of load, per second. */
  grantedPerSecond: number;
  /** Most slots granted within any sliding second, all processes together. */
  worstSlidingSecond: number;
  writes: number;
  grants: number;
  errors: number;
  /** What `planWindow(200)`, the limiter's default planning, promises. */
  designed: WindowBudget;
}

interface Worker {
  ready: Promise<void>;
  report: Promise<LimiterWorkerReport>;
  start: (signal: StartSignal) => void;
  kill: () => void;
}

/** Forks bench/limiter-worker.ts on this Node (24) with `plan`; rejects its promises if it dies first. */
function forkWorker(plan: LimiterPlan): Worker {
  const child = fork(WORKER, [JSON.stringify(plan)], {
    execPath: process.execPath,
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), WORKER_TIMEOUT_MS);
  const ready = Promise.withResolvers<void>();
  const report = Promise.withResolvers<LimiterWorkerReport>();
  // Whoever awaits them sees the rejection; until then it is not an unhandled one.
  ready.promise.catch(() => {});
  report.promise.catch(() => {});
  child.on('message', (message: WorkerMessage) => {
    if ('ready' in message) ready.resolve();
    else report.resolve(message.report);
  });
  child.once('close', (code, signal) => {
    clearTimeout(timer);
    const error = new Error(`a limiter worker exited (${code ?? signal}) before it reported`);
    ready.reject(error);
    report.reject(error);
  });
  return {
    ready: ready.promise,
    report: report.promise,
    start: (signal) => child.send(signal),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * The limiter alone: 3 processes, each a `DynamoRateLimiter` with default planning for the 200/s
 * ceiling and its own DynamoDB clients, on one table of one dynalite process; together they offer
 * 3× the ceiling (600 acquires/s of one slot, each waiting up to 250 ms) open loop for 10 s.
 * Grants are timed where the caller gets them; writes are `UpdateItem` calls counted by a
 * middleware on each process's client.
 */
export async function runLimiter(): Promise<LimiterResult> {
  const dynamodb = await startGatewayProcess({}, 'bench/dynalite-server.ts');
  const workers: Worker[] = [];
  try {
    const admin = loopbackClients(dynamodb.url);
    await ensureTable(admin.client, TABLE_NAME);
    admin.client.destroy();
    const plan: LimiterPlan = {
      dynamodbEndpoint: dynamodb.url,
      tableName: TABLE_NAME,
      sdkAppId: SDK_APP_ID,
      ceilingPerSecond: CEILING,
      ratePerSecond: (CEILING * DEMAND_FACTOR) / LIMITER_PROCESSES,
      durationMs: LOAD_SECONDS * 1000,
      acquireBudgetMs: ACQUIRE_BUDGET_MS,
    };
    for (let i = 0; i < LIMITER_PROCESSES; i++) workers.push(forkWorker(plan));
    await Promise.all(workers.map((w) => w.ready));
    const startAt = Date.now() + START_DELAY_MS;
    for (const worker of workers) worker.start({ startAt });
    const reports = await Promise.all(workers.map((w) => w.report));

    const grantedAt = reports.flatMap((r) => r.grantedAt);
    const loadEnd = startAt + LOAD_SECONDS * 1000;
    const grantedDuringLoad = grantedAt.filter((at) => at >= startAt && at < loadEnd).length;
    const sum = (pick: (r: LimiterWorkerReport) => number) => reports.reduce((n, r) => n + pick(r), 0);
    return {
      acquiresOffered: sum((r) => r.acquires),
      grantedPerSecond: grantedDuringLoad / LOAD_SECONDS,
      worstSlidingSecond: busiestSecond(grantedAt),
      writes: sum((r) => r.writes),
      grants: grantedAt.length,
      errors: sum((r) => r.errors),
      designed: planWindow(CEILING),
    };
  } finally {
    for (const worker of workers) worker.kill();
    await dynamodb.stop();
  }
}
