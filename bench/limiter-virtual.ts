import type { DynamoDbClients } from '../shared/dynamodb-client.ts';
import { type CallSchedule, callSchedule, DEFAULT_MARGIN_PARTS } from '../shared/ratelimit/call-schedule.ts';
import { DynamoRateLimiter } from '../shared/ratelimit/dynamo-rate-limiter.ts';
import { createTestTable, interceptCommands, startDynalite } from '../test/support/dynalite.ts';
import { busiestSecond } from '../test/support/sliding-second.ts';
import { VirtualTime } from '../test/support/virtual-time.ts';
import { CEILING } from './ceiling.ts';
import { ACQUIRE_BUDGET_MS, LIMITER_PROCESSES, LIMITER_RUNS } from './limiter.ts';
import { fixed, percentile, shareSpread } from './stats.ts';

const START = 1_800_000_000_000;
/** The instances' clocks, as far apart as the default margin's skew share allows. */
const CLOCK_OFFSETS_MS = [-DEFAULT_MARGIN_PARTS.skewMs / 2, 0, DEFAULT_MARGIN_PARTS.skewMs / 2];
/** Release-to-arrival jitter, the default margin's share. */
const JITTER_MS = DEFAULT_MARGIN_PARTS.arrivalJitterMs;
const RAMP_MS = 1000;
const SDK_APP_ID = 1_400_000_000;

export interface VirtualRunResult {
  demand: number;
  seconds: number;
  /** Calls started per second after the first second, on the instances' clocks. */
  startedPerSecond: number;
  /** Most arrivals (start plus up to 20 ms) in any sliding second, half-open / closed. */
  busiestSecond: number;
  busiestClosedSecond: number;
  grantsPerProcess: number[];
  /** DynamoDB writes and reads per granted call. */
  writes: number;
  reads: number;
  refusedAtOnce: number;
  refusedAtDeadline: number;
  waitP50Ms: number;
  waitP99Ms: number;
}

/** One run: the instances offered `demand` × the ceiling in requests of one call for `seconds`. */
async function runOnce(
  newClients: () => DynamoDbClients,
  tableName: string,
  demand: number,
  seconds: number,
): Promise<VirtualRunResult> {
  const time = new VirtualTime(START);
  let writes = 0;
  let reads = 0;
  const instances = CLOCK_OFFSETS_MS.slice(0, LIMITER_PROCESSES).map((offset) => {
    const clients = time.hold(newClients());
    interceptCommands(clients, (command, proceed) => {
      if (command.name === 'UpdateItemCommand') writes += 1;
      if (command.name === 'GetItemCommand') reads += 1;
      return proceed();
    });
    const now = () => time.now() + offset;
    const limiter = new DynamoRateLimiter({
      client: clients.documentClient,
      tableName,
      ceilingPerSecond: CEILING,
      now,
      sleep: time.sleep,
    });
    return { limiter, now, offset, grants: 0 };
  });
  const started: number[] = [];
  const arrivals: number[] = [];
  const waited: number[] = [];
  let refusedAtOnce = 0;
  let refusedAtDeadline = 0;
  const everyMs = (1000 * LIMITER_PROCESSES) / (CEILING * demand);
  const end = START + seconds * 1000;
  await time.run(async () => {
    const requests: Array<Promise<void>> = [];
    await Promise.all(
      instances.map(async (instance, i) => {
        // Each instance's requests fall between the others': one even stream at the total rate.
        await time.sleep((i * everyMs) / LIMITER_PROCESSES);
        while (time.now() < end) {
          requests.push(
            (async () => {
              const askedAt = instance.now();
              const slots = instance.limiter.join(SDK_APP_ID, 1, askedAt + ACQUIRE_BUDGET_MS);
              const slot = await slots.next();
              slots.close();
              if (!slot.granted) {
                if (instance.now() === askedAt) refusedAtOnce += 1;
                else refusedAtDeadline += 1;
                return;
              }
              instance.grants += 1;
              started.push(instance.now());
              arrivals.push(time.now() + Math.random() * JITTER_MS);
              waited.push(instance.now() - askedAt);
            })(),
          );
          await time.sleep(everyMs);
        }
      }),
    );
    await Promise.all(requests);
  });
  const grants = instances.reduce((sum, instance) => sum + instance.grants, 0);
  const steady = started.filter((at) => at >= START + RAMP_MS && at < end).length;
  return {
    demand,
    seconds,
    startedPerSecond: steady / ((end - START - RAMP_MS) / 1000),
    busiestSecond: busiestSecond(arrivals),
    busiestClosedSecond: busiestSecond(arrivals, true),
    grantsPerProcess: instances.map((instance) => instance.grants),
    writes: writes / grants,
    reads: reads / grants,
    refusedAtOnce,
    refusedAtDeadline,
    waitP50Ms: percentile(waited, 50),
    waitP99Ms: percentile(waited, 99),
  };
}

/**
 * The limiter's algorithm on its own, in virtual time: the workload of bench/limiter.ts (3
 * instances, requests of one call waiting up to 250 ms, at 0.2×, 1× and 3× the ceiling), on real
 * dynalite in this process, with clocks 10 ms apart and arrivals up to 20 ms after each start. Time
 * moves only when no DynamoDB call is in flight, so what it measures is the schedule and the line,
 * not how busy this machine is.
 */
export async function runVirtualLimiter(): Promise<{ schedule: CallSchedule; runs: VirtualRunResult[] }> {
  const dynamo = await startDynalite();
  try {
    const runs: VirtualRunResult[] = [];
    for (const { demand, seconds } of LIMITER_RUNS) {
      console.error(`bench: the limiter in virtual time, ${demand}× the ceiling`);
      runs.push(await runOnce(dynamo.newClients, await createTestTable(dynamo.client), demand, seconds));
    }
    return { schedule: callSchedule(CEILING), runs };
  } finally {
    await dynamo.close();
  }
}

/** The virtual-time numbers as a markdown table. */
export function virtualLimiterTable({
  schedule,
  runs,
}: {
  schedule: CallSchedule;
  runs: VirtualRunResult[];
}): string {
  return [
    `| limiter in virtual time (${LIMITER_PROCESSES} instances, clocks ${DEFAULT_MARGIN_PARTS.skewMs} ms apart, requests of one call waiting ≤ ${ACQUIRE_BUDGET_MS} ms): demand ÷ ceiling | calls/s after the first s ÷ the bound (${fixed(schedule.boundPerSecond, 2)}/s) | busiest second of arrivals, half-open / closed | grants per process (spread) | DynamoDB writes / reads per granted call | refused at once / at the deadline | queueing delay p50 / p99 |`,
    '|---|---|---|---|---|---|---|',
    ...runs.map(
      (r) =>
        `| ${r.demand} | ${fixed(r.startedPerSecond / schedule.boundPerSecond, 4)} (${fixed(r.startedPerSecond, 2)}/s) | ${r.busiestSecond} / ${r.busiestClosedSecond} | ${r.grantsPerProcess.join(' / ')} (${fixed(shareSpread(r.grantsPerProcess) * 100, 1)} %) | ${fixed(r.writes, 2)} / ${fixed(r.reads, 2)} | ${r.refusedAtOnce} / ${r.refusedAtDeadline} | ${fixed(r.waitP50Ms, 0)} / ${fixed(r.waitP99Ms, 0)} ms |`,
    ),
  ].join('\n');
}

if (import.meta.main) console.log(virtualLimiterTable(await runVirtualLimiter()));
