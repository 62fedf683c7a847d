/**
 * `npm start`: the gateway's handlers behind a local HTTP server that speaks API Gateway's REST
 * proxy protocol, on embedded defaults (docs/local.md). Configuration is the functions' environment,
 * parsed by shared/config.ts; `npm start -- --help` lists it with the options (start-options.ts).
 *
 * The console is for a person: a banner that says what runs where, one access line per request
 * (access-line.ts), and every failure to start as one line naming the variable or option, its
 * value and what to do, with exit code 1. SIGINT and SIGTERM close everything and exit 0.
 */
import { type GatewayConfig, parseConfig } from '../../shared/config.ts';
import { ConfigError } from '../../shared/errors.ts';
import { accessLine } from './access-line.ts';
import { DEMO_NUMBERED_ACCOUNTS } from './demo-profiles.ts';
import { type EmbeddedServices, startEmbeddedServices } from './embedded-services.ts';
import { artifactRoutes, sourceRoutes } from './function-routes.ts';
import { listenProblem } from './listen-problem.ts';
import { LocalServer, type Route } from './local-server.ts';
import { START_HELP, type StartOptions, startOptions } from './start-options.ts';
import { telemetryEnvironment } from './telemetry-environment.ts';

const PREFIX = 'portrait-gateway:';

/** The errors an operator fixes by changing the command line or the environment: no stack trace. */
const OPERATOR_ERRORS = new Set([
  'ConfigError',
  'ArtifactError',
  'HandlerModuleError',
  'StartOptionError',
  'SetupError',
  'DynamoDbEndpointError',
  'EmulatorConfigError',
]);

/** The address the operator gave cannot be listened on. */
class SetupError extends Error {
  override readonly name = 'SetupError';
}

/** What the try-line asks for: two known accounts and one that does not exist. */
const TRY_REQUEST = {
  To_Account: ['alice', 'bob', 'nobody'],
  TagList: ['Tag_Profile_IM_Nick', 'Tag_Profile_IM_Image', 'Tag_Profile_Custom_Team'],
};

function webhooksLine(config: GatewayConfig): string {
  if (config.credentials.kind === 'secrets-manager') {
    return `${PREFIX} webhooks: on if the secret ${config.credentials.secretId} holds a callbackToken`;
  }
  return (process.env.TIM_CALLBACK_TOKEN?.trim() ?? '') === ''
    ? `${PREFIX} webhooks: off (set TIM_CALLBACK_TOKEN to accept them: docs/webhooks.md)`
    : `${PREFIX} webhooks: on (TIM_CALLBACK_TOKEN is set): POST /tencent-im/callback`;
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
  lines.push(
    `${PREFIX} ceiling ${config.rateLimitPerSecond} calls/s, cache TTL ${config.cacheTtlSeconds} s`,
    webhooksLine(config),
  );
  return lines;
}

/** What to copy after `listening on`: the try-line, and the webhook helper when webhooks are on. */
function tryLines(url: string, webhooksOn: boolean): string[] {
  const lines = [
    'try it, twice: the second answer comes from the cache (X-Upstream-Calls: 0)',
    `  curl -i ${url}/v4/profile/portrait_get -H 'Content-Type: application/json' -d '${JSON.stringify(TRY_REQUEST)}'`,
  ];
  if (webhooksOn) {
    lines.push(
      "then change alice's cached nickname with a signed webhook, and ask again:",
      `  TIM_CALLBACK_TOKEN=<the same token> npm run webhook -- --url ${url} alice Tag_Profile_IM_Nick 'Alice 2'`,
    );
  }
  lines.push('options and settings: npm start -- --help');
  return lines;
}

async function loadRoutes(
  options: StartOptions,
  operatorEnv: NodeJS.ProcessEnv,
  say: (line: string) => void,
): Promise<Route[]> {
  if (!options.artifact) {
    const routes = await sourceRoutes(options.timeoutMs);
    say(`${PREFIX} serving the source: ${routes.map((r) => `${r.method} ${r.path}`).join(', ')}`);
    return routes;
  }
  const { routes, located, environment } = await artifactRoutes(options.cdkOut, operatorEnv, {
    ...(options.stack !== undefined && { stack: options.stack }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
  });
  for (const artifact of located) {
    say(`${PREFIX} serving the artifact: ${artifact.method} ${artifact.path} → ${artifact.modulePath}`);
  }
  if (environment.unresolved.length > 0) {
    say(`${PREFIX} left unset (deploy-time references): ${environment.unresolved.join(', ')}`);
  }
  return routes;
}

async function listen(config: GatewayConfig, routes: Route[], options: StartOptions): Promise<LocalServer> {
  try {
    return await LocalServer.start({
      routes,
      port: config.port,
      host: config.host,
      ...(!options.quiet && { onRequest: (answered) => console.log(accessLine(answered)) }),
    });
  } catch (error) {
    const problem = listenProblem(error, config.host, config.port);
    if (problem === undefined) throw error;
    throw new SetupError(problem, { cause: error });
  }
}

/** Closes everything on the first SIGINT or SIGTERM; a repeat (npm forwards Ctrl-C too) is ignored. */
function stopOnSignals(server: LocalServer, services: EmbeddedServices, say: (line: string) => void): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    say(`${PREFIX} ${signal}: shutting down`);
    Promise.all([server.close(), services.close()]).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`${PREFIX} shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function main(): Promise<void> {
  const options = startOptions(process.argv.slice(2));
  if (options.help) {
    console.log(START_HELP);
    return;
  }
  const say = options.quiet ? () => {} : (line: string) => console.log(line);
  const config = parseConfig(process.env);
  Object.assign(process.env, telemetryEnvironment(options, process.env));
  const operatorEnv = { ...process.env };
  const services = await startEmbeddedServices(config);
  let server: LocalServer;
  try {
    for (const line of describeSetup(config, services)) say(line);
    server = await listen(config, await loadRoutes(options, operatorEnv, say), options);
  } catch (error) {
    await services.close();
    throw error;
  }
  // Only now: whoever reads the next line may signal at once, and the handlers must be there.
  stopOnSignals(server, services, say);
  console.log(`listening on ${server.url}`);
  const webhooksOn = (process.env.TIM_CALLBACK_TOKEN?.trim() ?? '') !== '';
  for (const line of tryLines(server.url, webhooksOn)) say(line);
}

try {
  await main();
} catch (error) {
  const { name, message } = error instanceof Error ? error : new Error(String(error));
  if (error instanceof ConfigError || OPERATOR_ERRORS.has(name)) console.error(`${PREFIX} ${message}`);
  else console.error(`${PREFIX} failed to start:`, error);
  process.exit(1);
}
