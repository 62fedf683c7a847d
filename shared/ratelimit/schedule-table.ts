import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PARTITION_KEY, TTL_ATTRIBUTE } from '../table-definition.ts';

/** The schedule item's first time not yet reserved (GCRA's theoretical arrival time), epoch µs. */
export const NEXT_FREE_ATTRIBUTE = 'nextFreeUs';

/** The partition key of one app's schedule item. */
export const rateScheduleKey = (sdkAppId: number): string => `r#${sdkAppId}`;

/** What a reservation write did: moved the shared time to `nextFreeUs`, or was refused by its condition. */
export type ScheduleWrite =
  | { reserved: true; nextFreeUs: number }
  /** `nextFreeUs` as it stood when refusing; undefined when the item does not exist. */
  | { reserved: false; nextFreeUs: number | undefined };

/**
 * One app's shared schedule in the gateway's table: one item per app holding the next free time.
 * Every write is conditional, so concurrent instances never reserve the same time. Only reads and
 * writes: what to reserve is decided by the caller (`call-line.ts`).
 */
export class ScheduleTable {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.#client = client;
    this.#tableName = tableName;
  }

  /**
   * Reserves the `spanUs` from the next free time on, when that time lies within
   * `[fromUs, lastUs]`: the reserved times end where the answered `nextFreeUs` begins.
   */
  advance(
    sdkAppId: number,
    spanUs: number,
    fromUs: number,
    lastUs: number,
    expiresAt: number,
  ): Promise<ScheduleWrite> {
    return this.#write(sdkAppId, {
      UpdateExpression: 'SET #next = #next + :span, #exp = :exp',
      ConditionExpression: '#next BETWEEN :from AND :last',
      ExpressionAttributeValues: { ':span': spanUs, ':from': fromUs, ':last': lastUs, ':exp': expiresAt },
    });
  }

  /**
   * Moves a next free time that lags behind `startUs` (or does not exist yet) to `startUs +
   * spanUs`, reserving the span from `startUs` on. Refused when another instance got there first.
   */
  catchUp(sdkAppId: number, startUs: number, spanUs: number, expiresAt: number): Promise<ScheduleWrite> {
    return this.#write(sdkAppId, {
      UpdateExpression: 'SET #next = :next, #exp = :exp',
      ConditionExpression: 'attribute_not_exists(#next) OR #next < :start',
      ExpressionAttributeValues: { ':start': startUs, ':next': startUs + spanUs, ':exp': expiresAt },
    });
  }

  async #write(
    sdkAppId: number,
    expression: {
      UpdateExpression: string;
      ConditionExpression: string;
      ExpressionAttributeValues: Record<string, number>;
    },
  ): Promise<ScheduleWrite> {
    try {
      const output = await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { [PARTITION_KEY]: rateScheduleKey(sdkAppId) },
          ...expression,
          ExpressionAttributeNames: { '#next': NEXT_FREE_ATTRIBUTE, '#exp': TTL_ATTRIBUTE },
          ReturnValues: 'UPDATED_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { reserved: true, nextFreeUs: Number(output.Attributes?.[NEXT_FREE_ATTRIBUTE]) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // DynamoDB answers a refusal with the item as it stood; dynalite does not, so it is read.
      const told = error.Item?.[NEXT_FREE_ATTRIBUTE]?.N;
      return { reserved: false, nextFreeUs: told === undefined ? await this.#read(sdkAppId) : Number(told) };
    }
  }

  async #read(sdkAppId: number): Promise<number | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { [PARTITION_KEY]: rateScheduleKey(sdkAppId) },
        ProjectionExpression: '#next',
        ExpressionAttributeNames: { '#next': NEXT_FREE_ATTRIBUTE },
        ConsistentRead: true,
      }),
    );
    const value = Item?.[NEXT_FREE_ATTRIBUTE];
    return typeof value === 'number' ? value : undefined;
  }
}
