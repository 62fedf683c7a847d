import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callSchedule } from '../../shared/ratelimit/call-schedule.ts';
import { rateScheduleKey } from '../../shared/ratelimit/schedule-table.ts';
import { PARTITION_KEY } from '../../shared/table-definition.ts';
import { TEST_CREDENTIALS } from '../support/emulator-factory.ts';
import { type GatewayProcess, startGatewayProcess } from '../support/gateway-process.ts';
import { descendingAccounts, post, startWorld, type World } from './portrait-get-suite.ts';

/** Low enough (T = 26.25 ms) that twelve calls on one schedule take far longer than six on each of two. */
const CEILING = 40;

describe('two npm start processes given one DYNAMODB_ENDPOINT and TABLE_NAME', () => {
  let world: World;
  let gateways: GatewayProcess[];

  beforeAll(async () => {
    world = await startWorld();
    const env = { ...world.env, RATE_LIMIT_PER_SECOND: String(CEILING) };
    gateways = await Promise.all([
      startGatewayProcess({ env, args: ['--quiet'] }),
      startGatewayProcess({ env, args: ['--quiet'] }),
    ]);
  });
  afterAll(async () => {
    await Promise.all((gateways ?? []).map((gateway) => gateway.stop()));
    await world?.close();
  });
  beforeEach(() => world.emulator.resetCalls());

  it('share one cache: what one fetched, the other serves without calling Tencent', async () => {
    // Prepare
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];
    const request = { To_Account: descendingAccounts(150, 300), TagList: ['Tag_Profile_IM_Nick'] };

    // Act
    const fromA = await post(a.url, request);
    const callsByA = world.emulator.calls.length;
    const fromB = await post(b.url, request);

    // Assess
    expect(fromA.status).toBe(200);
    expect(callsByA).toBe(2);
    expect(world.emulator.calls).toHaveLength(2);
    expect(fromB.body).toEqual(fromA.body);
    expect(fromB.headers.get('x-cache-hits')).toBe('150');
  });

  it('share one ceiling: the calls of both sit on one schedule item, T apart', async () => {
    // Prepare
    const { spacingUs, marginMs } = callSchedule(CEILING);
    const request = (n: number) => ({
      To_Account: descendingAccounts(300, 500 + 300 * n),
      TagList: ['Tag_Profile_IM_Nick'],
    });
    // Nothing cached: the table holds only the schedule, and its writes queue behind no cache writes.
    const noStore = { 'Cache-Control': 'no-store' };

    // Act
    const replies = await Promise.all(
      [0, 1, 2, 3].map((n) =>
        post((gateways[n % 2] as GatewayProcess).url, request(n % 2), undefined, noStore),
      ),
    );
    const { Items = [] } = await world.dynalite.documentClient.send(
      new ScanCommand({
        TableName: world.tableName,
        FilterExpression: 'begins_with(#pk, :prefix)',
        ExpressionAttributeNames: { '#pk': PARTITION_KEY },
        ExpressionAttributeValues: { ':prefix': 'r#' },
      }),
    );

    // Assess
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200, 200]);
    expect(Items.map((item) => item[PARTITION_KEY])).toEqual([rateScheduleKey(TEST_CREDENTIALS.sdkAppId)]);
    const arrivals = world.emulator.calls.map((call) => call.at).sort((a, b) => a - b);
    expect(arrivals).toHaveLength(12);
    // Twelve times of one lattice span 11 T, less what the margin lets arrivals move; two
    // schedules of six calls each would overlap in about half that.
    expect((arrivals.at(-1) as number) - (arrivals[0] as number)).toBeGreaterThanOrEqual(
      (11 * spacingUs) / 1000 - marginMs,
    );
  });
});
