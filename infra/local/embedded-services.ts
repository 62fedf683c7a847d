import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import type { GatewayConfig } from '../../shared/config.ts';
import { createDynamoDbClients } from '../../shared/dynamodb-client.ts';
import { ensureTable } from '../../shared/table-definition.ts';
import { variableProblem } from '../../shared/variable-problem.ts';
import { DEMO_CREDENTIALS, DEMO_CUSTOM_TAGS, DEMO_PROFILES } from './demo-profiles.ts';
import { TencentEmulator } from './emulator.ts';

/** What the local run started in-process, and what it told the handlers through `process.env`. */
export interface EmbeddedServices {
  /** No Tencent credentials were configured: the demo app's, against the emulator (or TIM_BASE_URL). */
  demo: boolean;
  /** The in-process emulator, when one was started. */
  emulator?: TencentEmulator;
  /** The DynamoDB endpoint in use, and whether it is the in-process dynalite. */
  dynamodbEndpoint: string;
  embeddedDynamodb: boolean;
  close(): Promise<void>;
}

/** The DynamoDB the operator named (`DYNAMODB_ENDPOINT`) cannot be used. */
export class DynamoDbEndpointError extends Error {
  override readonly name = 'DynamoDbEndpointError';
}

/** Creates the table if missing; a DynamoDB the operator named that does not answer says so. */
async function prepareTable(endpoint: string, tableName: string, embedded: boolean): Promise<void> {
  const { client } = createDynamoDbClients({ endpoint });
  try {
    await ensureTable(client, tableName);
  } catch (error) {
    if (embedded) throw error;
    const { name, code, message } = error as NodeJS.ErrnoException;
    const fix =
      name === 'CredentialsProviderError'
        ? `it is not on this machine, so your AWS configuration signs the calls, and it has no usable credentials (${message}); log in (e.g. aws sso login), or use a DynamoDB on this machine`
        : `no DynamoDB answered there (${code ?? name}); start one (e.g. npx dynalite --host 127.0.0.1 --port 8000 --createTableMs 0), or unset it for the embedded one`;
    throw new DynamoDbEndpointError(variableProblem('DYNAMODB_ENDPOINT', endpoint, fix), { cause: error });
  } finally {
    client.destroy();
  }
}

async function startDynalite(host: string): Promise<Server> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

/**
 * Starts what the configuration leaves out and points `process.env` at it, before any handler is
 * loaded: the Tencent IM emulator with the demo profiles when no credentials are set (unless
 * TIM_BASE_URL names one already running), and an in-memory dynalite when DYNAMODB_ENDPOINT is unset;
 * creates the table if it is missing. Throws {@link DynamoDbEndpointError} when the DynamoDB at
 * DYNAMODB_ENDPOINT does not answer.
 * No AWS credentials are set or needed: clients of a loopback endpoint bring their own
 * (`LOOPBACK_AWS_CREDENTIALS` in shared/aws-client-settings.ts).
 */
export async function startEmbeddedServices(config: GatewayConfig): Promise<EmbeddedServices> {
  const closers: Array<() => Promise<void>> = [];
  const demo = config.credentials.kind === 'none';
  let emulator: TencentEmulator | undefined;
  try {
    if (demo) {
      if (config.baseUrl === undefined) {
        emulator = await TencentEmulator.start({
          sdkAppId: DEMO_CREDENTIALS.sdkAppId,
          adminIdentifier: DEMO_CREDENTIALS.identifier,
          secretKey: DEMO_CREDENTIALS.secretKey,
          host: '127.0.0.1',
          profiles: DEMO_PROFILES,
          customTags: [...DEMO_CUSTOM_TAGS],
        });
        closers.push(() => (emulator as TencentEmulator).close());
        process.env.TIM_BASE_URL = emulator.url;
      }
      process.env.TIM_SDKAPPID = String(DEMO_CREDENTIALS.sdkAppId);
      process.env.TIM_ADMIN_IDENTIFIER = DEMO_CREDENTIALS.identifier;
      process.env.TIM_SECRET_KEY = DEMO_CREDENTIALS.secretKey;
    }

    let dynamodbEndpoint = config.dynamodbEndpoint;
    if (dynamodbEndpoint === undefined) {
      const server = await startDynalite('127.0.0.1');
      closers.push(() => closeServer(server));
      dynamodbEndpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      process.env.DYNAMODB_ENDPOINT = dynamodbEndpoint;
    }
    process.env.TABLE_NAME = config.tableName;
    await prepareTable(dynamodbEndpoint, config.tableName, config.dynamodbEndpoint === undefined);
    return {
      demo,
      ...(emulator && { emulator }),
      dynamodbEndpoint,
      embeddedDynamodb: config.dynamodbEndpoint === undefined,
      close: async () => {
        await Promise.all(closers.map((close) => close()));
      },
    };
  } catch (error) {
    await Promise.all(closers.map((close) => close()));
    throw error;
  }
}
