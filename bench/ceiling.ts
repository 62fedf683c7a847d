import { TENCENT_MAX_ACCOUNTS } from '../shared/tencent/limits.ts';
import { busiestSecond } from '../test/support/sliding-second.ts';
import { openLoop } from './open-loop.ts';
import { emulatorCalls, type RequestOutcome, resetEmulator, workloadAccounts } from './workload.ts';

/** The ceiling Tencent gives portrait_get by default, which the gateways are configured with. */
export const CEILING = 200;
export const LOAD_SECONDS = 10;
/** Upstream calls demanded per second: three times the ceiling. */
export const DEMAND_FACTOR = 3;
/**
 * One account a request, the everyday chat lookup, so one upstream call per uncached request. With
 * more accounts a request, the cache writes (one per account) outgrow what one dynalite process
 * absorbs on this machine long before the ceiling is reached, and the run would measure dynalite.
 */
export const ACCOUNTS_PER_REQUEST = 1;
export interface ScenarioResult {
  name: string;
  requestsDemanded: number;
  requestsComplete: number;
  /** Requests answered 429 by a gateway, shed at a full target, or failed to connect. */
  requestsRefused: number;
  profilesServedPerSecond: number;
  upstreamCalls: number;
  upstreamOkPerSecond: number;
  upstreamRefused60007: number;
  /** Most calls Tencent saw in any sliding second. */
  worstSlidingSecond: number;
}

/** A way to serve one request of the workload: through one of the gateways, or straight to Tencent. */
export interface Client {
  maxInFlight: number;
  serve: (accounts: string[]) => Promise<RequestOutcome>;
}

/**
 * Runs the workload (requests of {@link ACCOUNTS_PER_REQUEST} account, one upstream call each when
 * uncached, at 3× the ceiling for 10 s, spread over `clients` in turn) and measures it at the emulator.
 */
export async function runScenario(
  name: string,
  emulatorUrl: string,
  clients: readonly Client[],
): Promise<ScenarioResult> {
  await resetEmulator(emulatorUrl);
  const callsPerRequest = Math.ceil(ACCOUNTS_PER_REQUEST / TENCENT_MAX_ACCOUNTS);
  const ratePerSecond = (CEILING * DEMAND_FACTOR) / callsPerRequest;
  const load = await openLoop<RequestOutcome>({
    ratePerSecond,
    durationMs: LOAD_SECONDS * 1000,
    targets: clients.map((client) => ({
      maxInFlight: client.maxInFlight,
      send: (i) => client.serve(workloadAccounts(i, ACCOUNTS_PER_REQUEST)),
    })),
  });
  const calls = await emulatorCalls(emulatorUrl);
  const windowEnd = load.startedAt + LOAD_SECONDS * 1000;
  const okInWindow = calls.filter(
    (c) => c.outcome === 0 && c.at >= load.startedAt && c.at < windowEnd,
  ).length;
  const served = load.outcomes.reduce((sum, o) => sum + o.profilesServed, 0);
  return {
    name,
    requestsDemanded: load.started + load.shed,
    requestsComplete: load.outcomes.filter((o) => o.complete).length,
    requestsRefused: load.shed + load.failures + load.outcomes.filter((o) => o.status === 429).length,
    profilesServedPerSecond: served / LOAD_SECONDS,
    upstreamCalls: calls.length,
    upstreamOkPerSecond: okInWindow / LOAD_SECONDS,
    upstreamRefused60007: calls.filter((c) => c.outcome === 60007).length,
    worstSlidingSecond: busiestSecond(calls.map((c) => c.at)),
  };
}
