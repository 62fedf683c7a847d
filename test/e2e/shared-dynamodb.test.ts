import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { COUNTER_ATTRIBUTE, rateWindowKey } from '../../shared/ratelimit/dynamo-rate-limiter.ts';
import { planWindow } from '../../shared/ratelimit/window-budget.ts';
import { PARTITION_KEY } from '../../shared/table-definition.ts';
import { TEST_CREDENTIALS } from '../support/emulator-factory.ts';
import { type GatewayProcess, startGatewayProcess } from '../support/gateway-process.ts';
import { descendingAccounts, post, startWorld, type World } from './portrait-get-suite.ts';

/** Low enough (2 slots per window) that four requests of three calls each need several windows. */
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

  it('share one ceiling: every call slot of both comes from the same window counters, none over budget', async () => {
    // Prepare
    const { budgetPerWindow } = planWindow(CEILING);
    const request = (n: number) => ({
      To_Account: descendingAccounts(300, 500 + 300 * n),
      TagList: ['Tag_Profile_IM_Nick'],
    });
    const noCache = { 'Cache-Control': 'no-cache' };

    // Act
    const replies = await Promise.all(
      [0, 1, 2, 3].map((n) =>
        post((gateways[n % 2] as GatewayProcess).url, request(n % 2), undefined, noCache),
      ),
    );
    const { Items = [] } = await world.dynalite.documentClient.send(
      new ScanCommand({
        TableName: world.tableName,
        FilterExpression: 'begins_with(#pk, :prefix)',
        ExpressionAttributeNames: { '#pk': PARTITION_KEY },
        ExpressionAttributeValues: {
          ':prefix': rateWindowKey(TEST_CREDENTIALS.sdkAppId, 0).replace(/0$/, ''),
        },
      }),
    );

    // Assess
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200, 200]);
    expect(world.emulator.calls).toHaveLength(12);
    const counters = Items.map((item) => Number(item[COUNTER_ATTRIBUTE]));
    expect(counters.every((n) => n >= 1 && n <= budgetPerWindow)).toBe(true);
    expect(counters.reduce((sum, n) => sum + n, 0)).toBeGreaterThanOrEqual(12);
  });
});
