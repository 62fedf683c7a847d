/**
 * `npm start`: the gateway's handlers behind a local HTTP server that speaks API Gateway's REST
 * proxy protocol, on embedded defaults (DESIGN.md §2 "Local"). Configuration is the environment
 * contract of DESIGN.md §2, parsed by shared/config.ts; a bad value stops it with the message.
 *
 * Options:
 *   --artifact          serve the bundles `cdk synth` built (cdk.out) instead of the source
 *   --cdk-out <dir>     the cloud assembly to serve with --artifact (default cdk.out)
 *   --stack <name>      the stack in it (default: the first with a REST API)
 *   --timeout <s>       every function's timeout (default: the deployed one)
 *   --quiet             no access log line per request
 */
import { parseArgs } from 'node:util';
import { type GatewayConfig, parseConfig } from '../../shared/config.ts';
import { createDynamoDbClients } from '../../shared/dynamodb-client.ts';
import { ConfigError } from '../../shared/errors.ts';
import { ensureTable } from '../../shared/table-definition.ts';
import { DEMO_NUMBERED_ACCOUNTS } from './demo-profiles.ts';
import { type EmbeddedServices, startEmbeddedServices } from './embedded-services.ts';
import { artifactRoutes, sourceRoutes } from './function-routes.ts';
import { LocalServer, type Route } from './local-server.ts';

const PREFIX = 'portrait-gateway:';

/** The errors an operator fixes by changing the command line or the environment: no stack trace. */
const OPERATOR_ERRORS = new Set([
  'ConfigError',
  'ArtifactError',
  'HandlerModuleError',
  'StartOptionError',
  'EmulatorConfigError',
]);

class StartOptionError extends Error {
  override readonly name = 'StartOptionError';
}

interface StartOptions {
  artifact: boolean;
  cdkOut: string;
  stack?: string;
  timeoutMs?: number;
  quiet: boolean;
}

function startOptions(args: string[]): StartOptions {
  const { values } = parseArgs({
    args,
    options: {
      artifact: { type: 'boolean', default: false },
      'cdk-out': { type: 'string', default: 'cdk.out' },
      stack: { type: 'string' },
      timeout: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0 && timeout <= 900)) {
    throw new StartOptionError('--timeout must be a number of seconds from 1 to 900');
  }
  return {
    artifact: values.artifact,
    cdkOut: values['cdk-out'],
    quiet: values.quiet,
    ...(values.stack !== undefined && { stack: values.stack }),
    ...(timeout !== undefined && { timeoutMs: timeout * 1000 }),
  };
}

function describeSetup(config: GatewayConfig, services: EmbeddedServices): string[] {
  const lines: string[] = [];
  if (services.demo) {
    const where = services.emulator
      ? `the bundled Tencent IM emulator at ${services.emulator.url}`
      : `the emulator at TIM_BASE_URL ${config.baseUrl}`;
    lines.push(
      `${PREFIX} DEMO MODE: no Tencent credentials are set (TIM_SDKAPPID, TIM_ADMIN_IDENTIFIER, TIM_SECRET_KEY),`,
      `${PREFIX}   so portrait_get goes to ${where} with the demo app's profiles`,
      `${PREFIX}   (alice, bob, carol … judy and user0001 … user${String(DEMO_NUMBERED_ACCOUNTS).padStart(4, '0')}); no real Tencent app is called.`,
    );
  } else {
    const target =
      config.baseUrl ?? (config.region ? `the ${config.region} data center` : 'the configured upstream');
    lines.push(
      `${PREFIX} Tencent: ${target}, SDKAppID ${process.env.TIM_SDKAPPID ?? '(from TIM_SECRET_ID)'}`,
    );
  }
  lines.push(
    services.embeddedDynamodb
      ? `${PREFIX} DynamoDB: embedded in-memory dynalite at ${services.dynamodbEndpoint}, table ${config.tableName} (gone when this process stops)`
      : `${PREFIX} DynamoDB: ${services.dynamodbEndpoint}, table ${config.tableName}`,
  );
  lines.push(`${PREFIX} ceiling ${config.rateLimitPerSecond} calls/s, cache TTL ${config.cacheTtlSeconds} s`);
  return lines;
}

function curlExample(url: string): string {
  const body = JSON.stringify({
    To_Account: ['alice', 'bob', 'nobody'],
    TagList: ['Tag_Profile_IM_Nick', 'Tag_Profile_IM_Image', 'Tag_Profile_Custom_Team'],
  });
  return `  curl -s ${url}/v4/profile/portrait_get -H 'Content-Type: application/json' -d '${body}'`;
}

async function loadRoutes(options: StartOptions, operatorEnv: NodeJS.ProcessEnv): Promise<Route[]> {
  if (!options.artifact) {
    const routes = await sourceRoutes(options.timeoutMs);
    console.log(`${PREFIX} serving the source: ${routes.map((r) => `${r.method} ${r.path}`).join(', ')}`);
    return routes;
  }
  const { routes, located, environment } = await artifactRoutes(options.cdkOut, operatorEnv, {
    ...(options.stack !== undefined && { stack: options.stack }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
  });
  for (const artifact of located) {
    console.log(
      `${PREFIX} serving the artifact: ${artifact.method} ${artifact.path} → ${artifact.modulePath}`,
    );
  }
  if (environment.unresolved.length > 0) {
    console.log(`${PREFIX} left unset (deploy-time references): ${environment.unresolved.join(', ')}`);
  }
  return routes;
}

async function main(): Promise<void> {
  const operatorEnv = { ...process.env };
  const options = startOptions(process.argv.slice(2));
  const config = parseConfig(process.env);
  const services = await startEmbeddedServices(config);
  let server: LocalServer | undefined;
  try {
    await ensureTable(
      createDynamoDbClients({ endpoint: services.dynamodbEndpoint }).client,
      config.tableName,
    );
    for (const line of describeSetup(config, services)) console.log(line);
    const routes = await loadRoutes(options, operatorEnv);
    server = await LocalServer.start({
      routes,
      port: config.port,
      host: config.host,
      ...(!options.quiet && {
        onRequest: (method: string, path: string, status: number) =>
          console.log(`${method} ${path} ${status}`),
      }),
    });
  } catch (error) {
    await services.close();
    throw error;
  }

  const running = server;
  const stop = (signal: NodeJS.Signals) => {
    console.log(`${PREFIX} ${signal}: shutting down`);
    Promise.all([running.close(), services.close()]).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`${PREFIX} shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Only now: whoever reads this line may signal at once, and the handlers must be there.
  console.log(`listening on ${server.url}`);
  console.log(`try:\n${curlExample(server.url)}`);
}

try {
  await main();
} catch (error) {
  const { name, message } = error instanceof Error ? error : new Error(String(error));
  const code = (error as NodeJS.ErrnoException).code;
  if (error instanceof ConfigError || OPERATOR_ERRORS.has(name)) console.error(`${PREFIX} ${message}`);
  else if (code === 'EADDRINUSE' || code === 'EACCES') console.error(`${PREFIX} cannot listen: ${message}`);
  else if (code?.startsWith('ERR_PARSE_ARGS')) console.error(`${PREFIX} ${message}`);
  else console.error(`${PREFIX} failed to start:`, error);
  process.exit(1);
}
