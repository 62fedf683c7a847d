import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type CallSchedule, callSchedule } from '../shared/ratelimit/call-schedule.ts';
import { ensureTable } from '../shared/table-definition.ts';
import { loopbackClients } from '../test/support/dynalite.ts';
import type { GatewayProcess } from '../test/support/gateway-process.ts';
import { busiestSecond } from '../test/support/sliding-second.ts';
import { startBackends } from './backends.ts';
import { CEILING, LOAD_SECONDS } from './ceiling.ts';
import type {
  LimiterCounts,
  LimiterPlan,
  LimiterWorkerReport,
  StartSignal,
  WorkerMessage,
} from './limiter-worker.ts';
import { fixed, percentile, shareSpread } from './stats.ts';
import { agent, emulatorCalls, resetEmulator } from './workload.ts';

export const LIMITER_PROCESSES = 3;
/** How long each request may wait for its slot, as a request with a quarter second to spare would. */
export const ACQUIRE_BUDGET_MS = 250;
/** Demand, as a multiple of the ceiling, and for how long it is offered (the 3× run is the headline). */
export const LIMITER_RUNS = [
  { demand: 0.2, seconds: 5 },
  { demand: 1, seconds: 5 },
  { demand: 3, seconds: LOAD_SECONDS },
] as const;
/** Arrivals in the first second are left out of the sustained rate: the schedule starts empty. */
const RAMP_MS = 1000;
const WORKER = fileURLToPath(new URL('./limiter-worker.ts', import.meta.url));
const TABLE_NAME = 'portrait-gateway-bench-limiter';
const SDK_APP_ID = 1_400_000_000;
/** Time for the start signal to reach every worker before their common start. */
const START_DELAY_MS = 200;
/** A worker still running after this is killed: the load is at most 10 s, the rest is start-up. */
const WORKER_TIMEOUT_MS = 60_000;

export interface LimiterRunResult extends LimiterCounts {
  demand: number;
  seconds: number;
  requests: number;
  /** Calls Tencent answered OK per second after the first second, where the emulator counts. */
  arrivalsPerSecond: number;
  /** Most calls the emulator saw in any sliding second, half-open and closed. */
  busiestSecond: number;
  busiestClosedSecond: number;
  /** The same where the calls were released, when the limiter granted them (half-open). */
  busiestReleaseSecond: number;
  refused60007: number;
  /** Slots granted to each process. */
  grantsPerProcess: number[];
  grants: number;
  /** Time granted requests waited for their slot. */
  waitP50Ms: number;
  waitP99Ms: number;
  /** Round trip of the granted calls to the emulator, 99th percentile. */
  callP99Ms: number;
}

export interface LimiterResult {
  schedule: CallSchedule;
  runs: LimiterRunResult[];
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

/** One run: {@link LIMITER_PROCESSES} workers on one table, `demand` × the ceiling among them. */
async function runOnce(
  dynamodbEndpoint: string,
  emulatorUrl: string,
  tableName: string,
  demand: number,
  seconds: number,
): Promise<LimiterRunResult> {
  await resetEmulator(emulatorUrl);
  const plan: LimiterPlan = {
    dynamodbEndpoint,
    tableName,
    emulatorUrl,
    sdkAppId: SDK_APP_ID,
    ceilingPerSecond: CEILING,
    ratePerSecond: (CEILING * demand) / LIMITER_PROCESSES,
    durationMs: seconds * 1000,
    acquireBudgetMs: ACQUIRE_BUDGET_MS,
  };
  const workers: Worker[] = [];
  try {
    for (let i = 0; i < LIMITER_PROCESSES; i++) workers.push(forkWorker(plan));
    await Promise.all(workers.map((w) => w.ready));
    const startAt = Date.now() + START_DELAY_MS;
    // Each process's requests fall between the others': together one even stream at the total rate.
    const phaseMs = 1000 / (CEILING * demand);
    for (const [i, worker] of workers.entries()) worker.start({ startAt: startAt + i * phaseMs });
    const reports = await Promise.all(workers.map((w) => w.report));
    const calls = await emulatorCalls(emulatorUrl);
    const arrivals = calls.map((c) => c.at);
    const steadyFrom = startAt + RAMP_MS;
    const loadEnd = startAt + seconds * 1000;
    const steady = calls.filter((c) => c.outcome === 0 && c.at >= steadyFrom && c.at < loadEnd).length;
    const sum = (pick: (r: LimiterWorkerReport) => number) => reports.reduce((n, r) => n + pick(r), 0);
    const waited = reports.flatMap((r) => r.waitedMs);
    return {
      demand,
      seconds,
      requests: sum((r) => r.requests),
      arrivalsPerSecond: steady / ((loadEnd - steadyFrom) / 1000),
      busiestSecond: busiestSecond(arrivals),
      busiestClosedSecond: busiestSecond(arrivals, true),
      busiestReleaseSecond: busiestSecond(reports.flatMap((r) => r.grantedAt)),
      refused60007: calls.filter((c) => c.outcome === 60007).length,
      grantsPerProcess: reports.map((r) => r.grantedAt.length),
      grants: sum((r) => r.grantedAt.length),
      refused: sum((r) => r.refused),
      refusedAtOnce: sum((r) => r.refusedAtOnce),
      writes: sum((r) => r.writes),
      reads: sum((r) => r.reads),
      slotsLate: sum((r) => r.slotsLate),
      slotsUnused: sum((r) => r.slotsUnused),
      errors: sum((r) => r.errors),
      waitP50Ms: percentile(waited, 50),
      waitP99Ms: percentile(waited, 99),
      callP99Ms: percentile(
        reports.flatMap((r) => r.callMs),
        99,
      ),
    };
  } finally {
    for (const worker of workers) worker.kill();
  }
}

/**
 * The limiter alone, measured where Tencent counts: 3 processes, each a `DynamoRateLimiter` for
 * the 200/s ceiling with the default 50 ms margin and its own DynamoDB clients, on one table of one
 * dynalite process; together they offer requests of one call (each waiting up to 250 ms) open loop
 * at 0.2×, 1× and 3× the ceiling, and send each granted call to one Tencent IM emulator process.
 * Writes and reads are counted by a middleware on each process's client.
 */
export async function runLimiter(): Promise<LimiterResult> {
  const started: GatewayProcess[] = [];
  try {
    const { dynamodb, emulator } = await startBackends(started, CEILING);
    const runs: LimiterRunResult[] = [];
    for (const [i, { demand, seconds }] of LIMITER_RUNS.entries()) {
      const admin = loopbackClients(dynamodb.url);
      const tableName = `${TABLE_NAME}-${i}`;
      await ensureTable(admin.client, tableName);
      admin.client.destroy();
      console.error(`bench: the limiter alone, ${LIMITER_PROCESSES} processes, ${demand}× the ceiling`);
      runs.push(await runOnce(dynamodb.url, emulator.url, tableName, demand, seconds));
      // Lets the emulator's sliding second empty before the next run.
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    return { schedule: callSchedule(CEILING), runs };
  } finally {
    await Promise.all(started.map((p) => p.stop()));
  }
}

/** The limiter's numbers as markdown tables. */
export function limiterTables({ schedule, runs }: LimiterResult): string {
  const s = schedule;
  const headline = runs.find((r) => r.demand === 3) ?? (runs.at(-1) as LimiterRunResult);
  const h = headline;
  return [
    `| limiter alone: ${LIMITER_PROCESSES} processes, one dynalite, ${h.demand}× the ceiling (${fixed(CEILING * h.demand, 0)} requests of one call/s, each waits ≤ ${ACQUIRE_BUDGET_MS} ms) for ${h.seconds} s, measured at the emulator | measured | designed (L = ${s.ceilingPerSecond}, m = ${s.marginMs} ms, T = ${s.spacingUs} µs) |`,
    '|---|---|---|',
    `| OK calls per second after the first ÷ ceiling | ${fixed(h.arrivalsPerSecond / CEILING, 3)} (${fixed(h.arrivalsPerSecond, 1)}/s) | ${fixed(s.sustainedPerSecond / CEILING, 3)} (${fixed(s.sustainedPerSecond, 2)}/s: 1/T) |`,
    `| … ÷ the bound L·1000/(1000 + m) | ${fixed(h.arrivalsPerSecond / s.boundPerSecond, 4)} | ${fixed(s.sustainedPerSecond / s.boundPerSecond, 4)} (${fixed(s.boundPerSecond, 2)}/s) |`,
    `| busiest sliding second at the emulator, half-open / closed (must be ≤ ${CEILING}); at release | ${h.busiestSecond} / ${h.busiestClosedSecond}; ${h.busiestReleaseSecond} | ≤ ${CEILING} |`,
    `| calls refused with 60007 | ${h.refused60007} | 0 |`,
    `| grants per process (largest deviation from an equal share) | ${h.grantsPerProcess.join(' / ')} (${fixed(shareSpread(h.grantsPerProcess) * 100, 1)} %) | ±10 % |`,
    `| queueing delay of granted requests, p50 / p99 | ${fixed(h.waitP50Ms, 0)} ms / ${fixed(h.waitP99Ms, 0)} ms | |`,
    `| reserved times dropped: came too late / nobody asked; DynamoDB errors | ${h.slotsLate} / ${h.slotsUnused}; ${h.errors} | |`,
    `| round trip of a granted call to the emulator, p99 | ${fixed(h.callP99Ms, 0)} ms | |`,
    '',
    '| demand ÷ ceiling | requests | granted | refused at once / at the deadline | OK calls/s after the first s | DynamoDB writes per granted call | reads per granted call (dynalite only) | busiest sliding second: emulator / release | 60007 |',
    '|---|---|---|---|---|---|---|---|---|',
    ...runs.map(
      (r) =>
        `| ${r.demand} | ${r.requests} | ${r.grants} | ${r.refusedAtOnce} / ${r.refused - r.refusedAtOnce} | ${fixed(r.arrivalsPerSecond, 1)} | ${fixed(r.writes / r.grants, 2)} (${r.writes}) | ${fixed(r.reads / r.grants, 2)} | ${r.busiestSecond} / ${r.busiestReleaseSecond} | ${r.refused60007} |`,
    ),
  ].join('\n');
}

if (import.meta.main) {
  console.log(limiterTables(await runLimiter()));
  await agent.close();
}
