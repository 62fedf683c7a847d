/**
 * One process of the limiter benchmark (bench/limiter.ts forks three): a `DynamoRateLimiter` over
 * its own DynamoDB clients on the shared table, offered requests of one call open loop; each call
 * granted goes to the Tencent IM emulator at once, where the ceiling is counted. Its
 * {@link LimiterPlan} comes as the JSON argument; over the fork IPC channel it says `ready` once
 * warm, is told when to start (a {@link StartSignal}, the same for every process) and answers a
 * {@link LimiterWorkerReport}.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoRateLimiter } from '../shared/ratelimit/dynamo-rate-limiter.ts';
import { PARTITION_KEY } from '../shared/table-definition.ts';
import { interceptCommands, loopbackClients } from '../test/support/dynalite.ts';
import { openLoop } from './open-loop.ts';
import { agent, directClient, workloadAccounts } from './workload.ts';

export interface LimiterPlan {
  dynamodbEndpoint: string;
  tableName: string;
  emulatorUrl: string;
  sdkAppId: number;
  ceilingPerSecond: number;
  /** Requests (of one call each) this process starts per second. */
  ratePerSecond: number;
  durationMs: number;
  /** How long each request may wait for its slot. */
  acquireBudgetMs: number;
}

export interface StartSignal {
  /** Epoch ms at which every process starts its load. */
  startAt: number;
}

/** What a limiter process counts; the benchmark sums them over the processes. */
export interface LimiterCounts {
  /** Requests refused: no slot before their deadline, or none admitted. */
  refused: number;
  /** Of those, refused within 2 ms of asking: not admitted, no slot reserved for them. */
  refusedAtOnce: number;
  /** `UpdateItem` calls sent, refused ones included. */
  writes: number;
  /** `GetItem` calls: dynalite answers a refused write without the item, so the limiter reads it. */
  reads: number;
  /** Reserved times dropped: this process came too late for them, or nobody asked. */
  slotsLate: number;
  slotsUnused: number;
  /** DynamoDB failures the limiter reported (each answered as no slot). */
  errors: number;
}

export interface LimiterWorkerReport extends LimiterCounts {
  requests: number;
  /** Epoch ms at which each granted slot came back to the caller. */
  grantedAt: number[];
  /** Milliseconds each granted request waited for its slot. */
  waitedMs: number[];
  /** Milliseconds each granted call took to the emulator and back. */
  callMs: number[];
}

export type WorkerMessage = { ready: true } | { report: LimiterWorkerReport };

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send?.(message, undefined, {}, (error) => (error ? reject(error) : resolve())),
  );
}

const plan = JSON.parse(process.argv[2] ?? '') as LimiterPlan;
const started = new Promise<StartSignal>((resolve) => {
  process.once('message', (message) => resolve(message as StartSignal));
});
const clients = loopbackClients(plan.dynamodbEndpoint);
let writes = 0;
let reads = 0;
interceptCommands(clients, (command, proceed) => {
  if (command.name === 'UpdateItemCommand') writes += 1;
  if (command.name === 'GetItemCommand') reads += 1;
  return proceed();
});
let errors = 0;
const limiter = new DynamoRateLimiter({
  client: clients.documentClient,
  tableName: plan.tableName,
  ceilingPerSecond: plan.ceilingPerSecond,
  onError: () => {
    errors += 1;
  },
});
const call = directClient(plan.emulatorUrl);
// Opens the pooled sockets, so the first calls do not pay for connecting.
await clients.client.send(
  new GetItemCommand({ TableName: plan.tableName, Key: { [PARTITION_KEY]: { S: 'bench#warm-up' } } }),
);
reads = 0;
await send({ ready: true });

const { startAt } = await started;
const waitMs = startAt - Date.now();
if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
const grantedAt: number[] = [];
const waitedMs: number[] = [];
const callMs: number[] = [];
let refused = 0;
let refusedAtOnce = 0;
const load = await openLoop({
  ratePerSecond: plan.ratePerSecond,
  durationMs: plan.durationMs,
  targets: [
    {
      maxInFlight: Number.POSITIVE_INFINITY,
      send: async (i) => {
        const askedAt = Date.now();
        const slots = limiter.join(plan.sdkAppId, 1, askedAt + plan.acquireBudgetMs);
        const slot = await slots.next();
        slots.close();
        if (!slot.granted) {
          refused += 1;
          if (Date.now() - askedAt < 2) refusedAtOnce += 1;
          return;
        }
        const at = Date.now();
        grantedAt.push(at);
        waitedMs.push(at - askedAt);
        await call(workloadAccounts(i, 1));
        callMs.push(Date.now() - at);
      },
    },
  ],
});
clients.client.destroy();
await agent.close();
await send({
  report: {
    requests: load.started,
    grantedAt,
    waitedMs,
    callMs,
    refused,
    refusedAtOnce,
    writes,
    reads,
    slotsLate: limiter.slotsLate,
    slotsUnused: limiter.slotsUnused,
    errors,
  },
});
process.disconnect();
