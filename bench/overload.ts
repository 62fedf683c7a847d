import { request } from 'undici';
import { ensureTable } from '../shared/table-definition.ts';
import { TENCENT_MAX_ACCOUNTS } from '../shared/tencent/limits.ts';
import { loopbackClients } from '../test/support/dynalite.ts';
import { type GatewayProcess, startGatewayProcess } from '../test/support/gateway-process.ts';
import { busiestSecond } from '../test/support/sliding-second.ts';
import { startBackends } from './backends.ts';
import { fixed } from './stats.ts';
import { agent, emulatorCalls, gatewayEnv, TAGS, workloadAccounts } from './workload.ts';

/** A ceiling so low that six requests of 500 accounts, started together, cannot all be served in time. */
export const OVERLOAD_CEILING = 2;
export const OVERLOAD_REQUESTS = 6;
export const OVERLOAD_ACCOUNTS = 500;
const CALLS_PER_REQUEST = Math.ceil(OVERLOAD_ACCOUNTS / TENCENT_MAX_ACCOUNTS);
const TABLE_NAME = 'portrait-gateway-bench-overload';

export interface OverloadRequest {
  status: number;
  /** `Retry-After` of a 429, in seconds. */
  retryAfterSeconds: number | undefined;
  /** When the answer came, ms after the requests were sent. */
  answeredAfterMs: number;
}

export interface OverloadResult {
  requests: OverloadRequest[];
  /** Upstream calls the emulator saw, and how many it refused with 60007. */
  callsSpent: number;
  refused60007: number;
  busiestSecond: number;
}

/**
 * The overload case of docs/rate-limit.md: one `npm start` gateway with `RATE_LIMIT_PER_SECOND=2`
 * (its own dynalite and emulator processes, the emulator at the same ceiling) is sent six
 * `Cache-Control: no-store` requests of 500 accounts (5 calls each) at once, over HTTP.
 */
export async function runOverload(): Promise<OverloadResult> {
  const started: GatewayProcess[] = [];
  try {
    const { dynamodb, emulator } = await startBackends(started, OVERLOAD_CEILING);
    const admin = loopbackClients(dynamodb.url);
    await ensureTable(admin.client, TABLE_NAME);
    admin.client.destroy();
    const gateway = await startGatewayProcess({
      env: gatewayEnv(emulator.url, dynamodb.url, TABLE_NAME, OVERLOAD_CEILING),
      args: ['--quiet'],
    });
    started.push(gateway);

    const sentAt = performance.now();
    const requests = await Promise.all(
      Array.from({ length: OVERLOAD_REQUESTS }, async (_, n): Promise<OverloadRequest> => {
        const response = await request(`${gateway.url}/v4/profile/portrait_get`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
          body: JSON.stringify({ To_Account: workloadAccounts(n, OVERLOAD_ACCOUNTS), TagList: TAGS }),
        });
        await response.body.dump();
        const retryAfter = response.headers['retry-after'];
        return {
          status: response.statusCode,
          retryAfterSeconds: retryAfter === undefined ? undefined : Number(retryAfter),
          answeredAfterMs: performance.now() - sentAt,
        };
      }),
    );
    const calls = await emulatorCalls(emulator.url);
    return {
      requests,
      callsSpent: calls.length,
      refused60007: calls.filter((c) => c.outcome === 60007).length,
      busiestSecond: busiestSecond(calls.map((c) => c.at)),
    };
  } finally {
    await Promise.all(started.map((p) => p.stop()));
  }
}

/** The overload case as a markdown table. */
export function overloadTable(o: OverloadResult): string {
  const answered = o.requests.filter((r) => r.status === 200);
  const refused = o.requests.filter((r) => r.status === 429);
  const others = o.requests.length - answered.length - refused.length;
  const row = (r: OverloadRequest) =>
    `${r.status}${r.retryAfterSeconds === undefined ? '' : ` (Retry-After ${r.retryAfterSeconds} s)`} after ${fixed(r.answeredAfterMs / 1000, 1)} s`;
  return [
    `| overload: \`RATE_LIMIT_PER_SECOND=${OVERLOAD_CEILING}\`, ${OVERLOAD_REQUESTS} concurrent \`no-store\` requests of ${OVERLOAD_ACCOUNTS} accounts (${CALLS_PER_REQUEST} calls each) | value |`,
    '|---|---|',
    `| calls spent (refused with 60007; busiest sliding second) | ${o.callsSpent} (${o.refused60007}; ${o.busiestSecond}) |`,
    `| answered 200 (at least ⌊calls spent / ${CALLS_PER_REQUEST}⌋ − 1 = ${Math.floor(o.callsSpent / CALLS_PER_REQUEST) - 1}) | ${answered.length} |`,
    `| answered 429 with Retry-After / other | ${refused.filter((r) => r.retryAfterSeconds !== undefined).length} / ${others} |`,
    `| each request, in the order sent | ${o.requests.map(row).join('; ')} |`,
  ].join('\n');
}

if (import.meta.main) {
  console.log(overloadTable(await runOverload()));
  await agent.close();
}
