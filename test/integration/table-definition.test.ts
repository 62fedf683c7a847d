import { randomUUID } from 'node:crypto';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable, PARTITION_KEY } from '../../shared/table-definition.ts';
import { type RunningDynalite, startDynalite } from '../support/dynalite.ts';

describe('ensureTable on dynalite', () => {
  let dynamo: RunningDynalite;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(async () => {
    await dynamo.close();
  });

  it('creates the table once, even when several callers race, with a string partition key, on demand', async () => {
    // Prepare
    const tableName = `table-${randomUUID()}`;

    // Act
    await Promise.all([ensureTable(dynamo.client, tableName), ensureTable(dynamo.client, tableName)]);
    await ensureTable(dynamo.client, tableName);
    const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: tableName }));

    // Assess
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([{ AttributeName: PARTITION_KEY, KeyType: 'HASH' }]);
    expect(Table?.AttributeDefinitions).toEqual([{ AttributeName: PARTITION_KEY, AttributeType: 'S' }]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  });
});
