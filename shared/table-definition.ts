import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

/**
 * The gateway's one table (docs/architecture.md, "Data model"), shared by the CDK stack, the local gateway and the tests:
 * profile items (`p#…`) and each app's rate schedule (`r#…`) under a single string partition key, billed
 * on demand, with a TTL attribute. Expiry is still checked in code: DynamoDB deletes expired items
 * lazily, and dynalite not at all.
 */
export const PARTITION_KEY = 'pk';

/** DynamoDB's type letter for {@link PARTITION_KEY}: a string. */
export const PARTITION_KEY_TYPE = 'S';

/** Epoch seconds after which DynamoDB may delete the item. */
export const TTL_ATTRIBUTE = 'expiresAt';

/** The longest {@link ensureTable} waits for a new table to turn ACTIVE, in seconds. */
const TABLE_ACTIVE_WAIT_SECONDS = 60;

/** The table as `CreateTable` wants it. TTL is switched on by the CDK stack (dynalite lacks `UpdateTimeToLive`). */
export function createTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [{ AttributeName: PARTITION_KEY, AttributeType: PARTITION_KEY_TYPE }],
    KeySchema: [{ AttributeName: PARTITION_KEY, KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  };
}

/**
 * Creates the table unless it exists, then waits (up to 60 s) until it is ACTIVE. Safe to race:
 * a concurrent creator's `ResourceInUseException` counts as success. For local runs and tests;
 * in AWS the CDK stack owns the table.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    try {
      await client.send(new CreateTableCommand(createTableInput(tableName)));
    } catch (createError) {
      if (!(createError instanceof ResourceInUseException)) throw createError;
    }
  }
  await waitUntilTableExists(
    { client, maxWaitTime: TABLE_ACTIVE_WAIT_SECONDS, minDelay: 1, maxDelay: 2 },
    { TableName: tableName },
  );
}
