import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { profileKey } from '../shared/cache/cached-item.ts';
import type { DynamoDbClients } from '../shared/dynamodb-client.ts';
import { PARTITION_KEY } from '../shared/table-definition.ts';
import { interceptCommands } from '../test/support/dynalite.ts';

/** DynamoDB's billing units and calls, as counted while a meter runs. */
export interface DynamoUsage {
  /** Read request units (an eventually consistent read of up to 4 KB is half a unit). */
  readUnits: number;
  /** Write request units of the profile cache's writes (one per KB written). */
  cacheWriteUnits: number;
  /** Write request units of everything else on the table: the rate limiter's schedule item. */
  limiterWriteUnits: number;
  /** Conditional writes refused, counted in the write units above at one unit each. */
  refusedWrites: number;
  calls: number;
}

/** Write operations, by the SDK's command name. */
const WRITES = /^(UpdateItem|PutItem|DeleteItem|BatchWriteItem)Command$/;

/**
 * Counts the request units DynamoDB bills for every call of `clients` while `running`: it asks each
 * call for `ReturnConsumedCapacity: TOTAL` (dynalite sizes items by DynamoDB's rules) and reads the
 * answer. A refused conditional write returns no capacity but is billed: DynamoDB charges the write
 * units of the item's size, at least one (docs/costs.md, "Method"); the limiter's and the cache's
 * items are under 1 KB, so one each. Writes to a profile item are the cache's, all others the
 * limiter's, so the split holds whatever the limiter's own keys look like.
 */
export class DynamoMeter {
  running = false;
  readonly usage: DynamoUsage = emptyUsage();
  readonly #profilePrefix: string;

  constructor(clients: DynamoDbClients, sdkAppId: number) {
    this.#profilePrefix = profileKey(sdkAppId, '');
    interceptCommands(clients, async (command, proceed) => {
      if (!this.running) return proceed();
      command.input.ReturnConsumedCapacity = 'TOTAL';
      this.usage.calls += 1;
      const write = WRITES.test(command.name);
      const cache = String(
        (command.input.Key as Record<string, unknown> | undefined)?.[PARTITION_KEY] ?? '',
      ).startsWith(this.#profilePrefix);
      try {
        const output = await proceed();
        const units = [output.ConsumedCapacity ?? []]
          .flat()
          .reduce((sum: number, c) => sum + Number((c as { CapacityUnits?: number }).CapacityUnits ?? 0), 0);
        this.#add(write, cache, units);
        return output;
      } catch (error) {
        if (write && error instanceof ConditionalCheckFailedException) {
          this.usage.refusedWrites += 1;
          this.#add(true, cache, 1);
        }
        throw error;
      }
    });
  }

  /** Zeroes the counts. */
  reset(): void {
    Object.assign(this.usage, emptyUsage());
  }

  #add(write: boolean, cache: boolean, units: number): void {
    if (!write) this.usage.readUnits += units;
    else if (cache) this.usage.cacheWriteUnits += units;
    else this.usage.limiterWriteUnits += units;
  }
}

function emptyUsage(): DynamoUsage {
  return { readUnits: 0, cacheWriteUnits: 0, limiterWriteUnits: 0, refusedWrites: 0, calls: 0 };
}
