import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoAccountName } from '../../infra/local/demo-profiles.ts';
import { GatewayError, NoSlotError } from '../../shared/errors.ts';
import {
  deadlineIn,
  freshTable,
  type ServiceParts,
  serviceInstance,
  startServiceParts,
} from '../support/service-fixture.ts';
import { busiestSecond } from '../support/sliding-second.ts';

const CEILING = 100;
const DRIVE_MS = 3000;
/** Clock offsets of the simulated Lambda instances, within the limiter's designed skew. */
const CLOCK_OFFSETS_MS = [-5, 0, 5];
/** Requests offered per second, spread over the instances, whether or not earlier ones finished. */
const DEMAND_PER_SECOND = 3 * CEILING;
/** How long one request may wait for a slot: a caller's patience, not a timing assertion. */
const REQUEST_BUDGET_MS = 250;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let parts: ServiceParts;

beforeAll(async () => {
  parts = await startServiceParts(CEILING);
});
afterAll(async () => {
  await parts.close();
});

describe('the shared ceiling, measured where Tencent counts it', () => {
  it('never lets a sliding second exceed the ceiling, and uses at least 85 % of it under 3x demand', async () => {
    // Prepare
    const tableName = await freshTable(parts);
    const instances = CLOCK_OFFSETS_MS.map((clockOffsetMs) =>
      serviceInstance(parts, { tableName, clockOffsetMs, ceilingPerSecond: CEILING }),
    );
    const requests: Promise<unknown>[] = [];
    let deniedSlots = 0;
    const ask = (n: number) =>
      (instances[n % instances.length] as (typeof instances)[number]).service
        .get([demoAccountName((n % 1000) + 1)], ['Tag_Profile_IM_Nick'], {
          deadlineMs: deadlineIn(REQUEST_BUDGET_MS),
          cache: { mode: 'no-cache' },
        })
        .catch((error: unknown) => {
          if (error instanceof NoSlotError) deniedSlots += 1;
          else if (!(error instanceof GatewayError)) throw error;
        });

    // Act
    const startedAt = Date.now();
    while (Date.now() - startedAt < DRIVE_MS) {
      const due = Math.floor(((Date.now() - startedAt) * DEMAND_PER_SECOND) / 1000);
      while (requests.length < due) requests.push(ask(requests.length));
      await sleep(5);
    }
    await Promise.all(requests);

    // Assess
    const arrivals = parts.emulator.calls.map((call) => call.at);
    const refused = parts.emulator.calls.filter((call) => call.outcome !== 0);
    const first = Math.min(...arrivals);
    const last = Math.max(...arrivals);
    const achievedPerSecond = ((arrivals.length - 1) * 1000) / (last - first);
    expect(refused).toEqual([]);
    expect(busiestSecond(arrivals)).toBeLessThanOrEqual(CEILING);
    // Demand really exceeded the ceiling: most of the excess was turned away without a call.
    expect(deniedSlots).toBeGreaterThan(((DEMAND_PER_SECOND - CEILING) * DRIVE_MS) / 1000 / 2);
    expect(achievedPerSecond).toBeGreaterThanOrEqual(0.85 * CEILING);
  });
});
