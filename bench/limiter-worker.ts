/**
 * One process of the limiter benchmark (bench/limiter.ts forks three): a `DynamoRateLimiter` over
 * its own DynamoDB clients on the shared table, offered acquires open loop. Its {@link LimiterPlan}
 * comes as the JSON argument; over the fork IPC channel it says `ready` once warm, is told when to
 * start (a {@link StartSignal}, the same for every process) and answers a {@link LimiterWorkerReport}.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoRateLimiter } from '../shared/ratelimit/dynamo-rate-limiter.ts';
import { PARTITION_KEY } from '../shared/table-definition.ts';
import { interceptCommands, loopbackClients } from '../test/support/dynalite.ts';
import { openLoop } from './open-loop.ts';

export interface LimiterPlan {
  dynamodbEndpoint: string;
  tableName: string;
  sdkAppId: number;
  ceilingPerSecond: number;
  /** Acquires this process starts per second. */
  ratePerSecond: number;
  durationMs: number;
  /** How long each acquire may wait for a slot. */
  acquireBudgetMs: number;
}

export interface StartSignal {
  /** Epoch ms at which every process starts its load. */
  startAt: number;
}

export interface LimiterWorkerReport {
  acquires: number;
  /** Epoch ms at which each granted slot came back to the caller, one entry per slot. */
  grantedAt: number[];
  /** `UpdateItem` calls sent, refused ones included. */
  writes: number;
  /** DynamoDB failures the limiter reported (each answered as no slot). */
  errors: number;
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
interceptCommands(clients, (command, proceed) => {
  if (command.name === 'UpdateItemCommand') writes += 1;
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
// Opens the pooled socket with a read, so the first window does not pay for connecting.
await clients.client.send(
  new GetItemCommand({ TableName: plan.tableName, Key: { [PARTITION_KEY]: { S: 'bench#warm-up' } } }),
);
await send({ ready: true });

const { startAt } = await started;
const waitMs = startAt - Date.now();
if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
const grantedAt: number[] = [];
const load = await openLoop({
  ratePerSecond: plan.ratePerSecond,
  durationMs: plan.durationMs,
  targets: [
    {
      maxInFlight: Number.POSITIVE_INFINITY,
      send: async () => {
        const grant = await limiter.acquire(plan.sdkAppId, 1, Date.now() + plan.acquireBudgetMs);
        const at = Date.now();
        for (let slot = 0; slot < grant.granted; slot++) grantedAt.push(at);
      },
    },
  ],
});
clients.client.destroy();
await send({ report: { acquires: load.started, grantedAt, writes, errors } });
process.disconnect();
