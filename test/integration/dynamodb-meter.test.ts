import { BatchGetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoMeter } from '../../bench/dynamodb-meter.ts';
import { profileKey } from '../../shared/cache/cached-item.ts';
import { PARTITION_KEY } from '../../shared/table-definition.ts';
import { dynaliteTablePerTest } from '../support/dynalite.ts';

const SDK_APP_ID = 1400000001;

describe('the cost bench’s DynamoDB meter', () => {
  const table = dynaliteTablePerTest();

  /** Fresh clients with a running meter, and a write to `pk` of `bytes` of text, optionally conditional. */
  const metered = () => {
    const clients = table.dynamo.newClients();
    const meter = new DynamoMeter(clients, SDK_APP_ID);
    meter.running = true;
    const write = (pk: string, bytes: number, onlyIfAbsent = false) =>
      clients.documentClient.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: { [PARTITION_KEY]: pk },
          UpdateExpression: 'SET v = :v',
          ...(onlyIfAbsent && { ConditionExpression: 'attribute_not_exists(v)' }),
          ExpressionAttributeValues: { ':v': 'x'.repeat(bytes) },
        }),
      );
    return { clients, meter, write };
  };

  it('bills profile writes to the cache by the KB, other writes to the limiter, refused ones at one unit', async () => {
    // Prepare
    const { meter, write } = metered();

    // Act
    await write(profileKey(SDK_APP_ID, 'alice'), 100);
    await write(profileKey(SDK_APP_ID, 'bob'), 2_500);
    await write('r#1400000001#0', 10);
    await expect(write('r#1400000001#0', 10, true)).rejects.toThrow();

    // Assess
    expect(meter.usage).toEqual({
      readUnits: 0,
      cacheWriteUnits: 1 + 3,
      limiterWriteUnits: 1 + 1,
      refusedWrites: 1,
      calls: 4,
    });
  });

  it('bills an eventually consistent batch read at half a unit per item, found or not', async () => {
    // Prepare
    const { clients, meter, write } = metered();
    await write(profileKey(SDK_APP_ID, 'alice'), 100);
    meter.reset();
    const keys = ['alice', 'bob', 'carol'].map((a) => ({ [PARTITION_KEY]: profileKey(SDK_APP_ID, a) }));

    // Act
    await clients.documentClient.send(
      new BatchGetCommand({ RequestItems: { [table.tableName]: { Keys: keys } } }),
    );

    // Assess
    expect(meter.usage).toMatchObject({ readUnits: 1.5, calls: 1 });
  });

  it('counts nothing while it is not running', async () => {
    // Prepare
    const { meter, write } = metered();
    meter.running = false;

    // Act
    await write(profileKey(SDK_APP_ID, 'alice'), 100);

    // Assess
    expect(meter.usage.calls).toBe(0);
  });
});
