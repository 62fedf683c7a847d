import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createDynamoDbClients, type DynamoDbClients } from '../../shared/dynamodb-client.ts';
import { ensureTable } from '../../shared/table-definition.ts';
import { LOOPBACK_AWS_CREDENTIALS, LOOPBACK_AWS_REGION } from './aws-endpoints.ts';

export interface RunningDynalite {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  client: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  /** Stops the server and the clients built by {@link RunningDynalite.newClients}. */
  close(): Promise<void>;
  /** Fresh clients on this server (own middleware stack, e.g. to count or alter calls). */
  newClients(): DynamoDbClients;
}

/** The gateway's clients (its timeouts included) pointed at `endpoint` with throwaway credentials. */
export const loopbackClients = (endpoint: string): DynamoDbClients =>
  createDynamoDbClients({ endpoint, region: LOOPBACK_AWS_REGION, credentials: LOOPBACK_AWS_CREDENTIALS });

/** An in-memory dynalite on 127.0.0.1 (tables ACTIVE at once) and clients for it. */
export async function startDynalite(): Promise<RunningDynalite> {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const built: DynamoDbClients[] = [];
  const newClients = () => {
    const clients = loopbackClients(endpoint);
    built.push(clients);
    return clients;
  };
  const { client, documentClient } = newClients();
  return {
    endpoint,
    client,
    documentClient,
    newClients,
    close: async () => {
      for (const clients of built) clients.client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A new, uniquely named table of the gateway's shape; its name. */
export async function createTestTable(client: DynamoDBClient): Promise<string> {
  const tableName = `test-${randomUUID()}`;
  await ensureTable(client, tableName);
  return tableName;
}

/** The dynalite of a block of tests and the table of the test running now. */
export interface DynaliteTable {
  readonly dynamo: RunningDynalite;
  readonly tableName: string;
}

/**
 * Registers hooks in the calling `describe` block (or file): one dynalite for all of its tests and
 * a fresh table before each, so no test sees another's items. Read the fields in hooks and tests.
 */
export function dynaliteTablePerTest(): DynaliteTable {
  let dynamo: RunningDynalite | undefined;
  let tableName: string | undefined;
  const table: DynaliteTable = {
    get dynamo() {
      if (dynamo === undefined) throw new Error('dynalite starts in beforeAll: read it in a hook or test');
      return dynamo;
    },
    get tableName() {
      if (tableName === undefined) throw new Error('the table is made in beforeEach: read it in a test');
      return tableName;
    },
  };
  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(async () => {
    await dynamo?.close();
  });
  beforeEach(async () => {
    tableName = await createTestTable(table.dynamo.client);
  });
  return table;
}

/** One DynamoDB call as a test sees it: plain JavaScript values (document form). */
export interface SeenCommand {
  /** e.g. `BatchGetItemCommand`, `UpdateItemCommand`. */
  name: string;
  input: Record<string, unknown>;
}

/**
 * Runs `interceptor` around every call of `clients` (a wrapper around the real client, not a
 * mock): it may record the call, and it may alter the real output that `proceed` resolves to.
 */
export function interceptCommands(
  clients: DynamoDbClients,
  interceptor: (
    command: SeenCommand,
    proceed: () => Promise<Record<string, unknown>>,
  ) => Promise<Record<string, unknown>>,
): void {
  clients.client.middlewareStack.add(
    (next, context) => async (args) => {
      let result: Awaited<ReturnType<typeof next>> | undefined;
      const output = await interceptor(
        { name: String(context.commandName), input: args.input as Record<string, unknown> },
        async () => {
          result = await next(args);
          return result.output as unknown as Record<string, unknown>;
        },
      );
      if (result === undefined) throw new Error('the interceptor must call proceed()');
      return { ...result, output: output as unknown as typeof result.output };
    },
    { step: 'initialize' },
  );
}
