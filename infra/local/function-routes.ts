import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { API_ROUTES, FUNCTION_TIMEOUT_SECONDS } from '../api-routes.ts';
import { type ArtifactRoute, locateArtifact } from './artifact.ts';
import type { ProxyHandler, Route } from './local-server.ts';
import { provideRuntimeSdk } from './runtime-sdk.ts';

const PROJECT_ROOT = new URL('../../', import.meta.url);

/** A handler module could not be loaded or exports no handler. */
export class HandlerModuleError extends Error {
  override readonly name = 'HandlerModuleError';
}

/**
 * The API's methods and the source module behind each: the paths and timeouts the CDK stack deploys
 * (test/e2e checks them against the synthesized template).
 */
export const SOURCE_FUNCTIONS = API_ROUTES.map((route) => ({
  method: route.method,
  path: `/${route.path}`,
  module: new URL(route.entry, PROJECT_ROOT),
  functionName: `portrait-gateway-${route.fn}`,
  timeoutMs: FUNCTION_TIMEOUT_SECONDS[route.fn] * 1000,
}));

/**
 * Variables the local run always provides itself: where Tencent, the credentials and the table are.
 * The deployed secret name is one of them: locally the credentials come from TIM_* or demo mode.
 */
const LOCAL_WIRING = new Set([
  'TIM_BASE_URL',
  'TIM_SECRET_ID',
  'TIM_SDKAPPID',
  'TIM_ADMIN_IDENTIFIER',
  'TIM_SECRET_KEY',
  'TIM_CALLBACK_TOKEN',
  'DYNAMODB_ENDPOINT',
  'TABLE_NAME',
]);

/** Process-level settings a running Node process cannot take on, and the names Lambda reserves. */
const NOT_APPLICABLE = /^(NODE_OPTIONS|AWS_.*|_.*|LAMBDA_.*)$/;

async function importHandler(url: URL, exportName: string): Promise<ProxyHandler> {
  const module = (await import(url.href)) as Record<string, unknown>;
  const handler = module[exportName];
  if (typeof handler !== 'function') {
    throw new HandlerModuleError(`${fileURLToPath(url)} exports no function named ${exportName}`);
  }
  return handler as ProxyHandler;
}

/**
 * Routes to the source handlers (functions/*.ts), each imported now, so set `process.env` first: a
 * handler reads its configuration once, at load. A function whose module does not exist yet is left
 * out (its path answers 404). `timeoutMs`, when given, replaces every function's deployed timeout.
 */
export async function sourceRoutes(timeoutMs?: number): Promise<Route[]> {
  const routes: Route[] = [];
  for (const fn of SOURCE_FUNCTIONS) {
    const url = fn.module;
    if (!existsSync(url)) continue;
    routes.push({
      method: fn.method,
      path: fn.path,
      handler: await importHandler(url, 'handler'),
      function: { functionName: fn.functionName, timeoutMs: timeoutMs ?? fn.timeoutMs },
    });
  }
  return routes;
}

/** What happened to each variable of a function's template environment in the local run. */
export interface EnvironmentReport {
  /** Literal template values now in `process.env`. */
  applied: string[];
  /** Deploy-time references (`Ref`, `Fn::GetAtt`…) with no local value: left unset. */
  unresolved: string[];
}

/**
 * Puts a function's template environment into `process.env`: literal values are applied unless the
 * operator set that variable (`operatorEnv`, the environment before the local run changed it) or the
 * local run provides it (Tencent target, credentials, table); deploy-time references are dropped.
 */
export function applyTemplateEnvironment(
  environment: ArtifactRoute['environment'],
  operatorEnv: NodeJS.ProcessEnv,
): EnvironmentReport {
  const report: EnvironmentReport = { applied: [], unresolved: [] };
  for (const [name, value] of Object.entries(environment)) {
    if (LOCAL_WIRING.has(name) || NOT_APPLICABLE.test(name) || operatorEnv[name] !== undefined) continue;
    if (typeof value === 'string') {
      process.env[name] = value;
      report.applied.push(name);
    } else {
      delete process.env[name];
      report.unresolved.push(name);
    }
  }
  return report;
}

/**
 * Routes to the bundles `cdk synth` wrote to `cdkOut` (see {@link locateArtifact}), each function's
 * template environment applied to `process.env` just before its bundle is imported, and its timeout
 * (unless `timeoutMs` replaces it) and memory as the template gives them. The AWS SDK the bundles
 * leave to the Lambda runtime comes from this project's node_modules.
 */
export async function artifactRoutes(
  cdkOut: string,
  operatorEnv: NodeJS.ProcessEnv,
  options: { stack?: string; timeoutMs?: number } = {},
): Promise<{ routes: Route[]; located: ArtifactRoute[]; environment: EnvironmentReport }> {
  const located = locateArtifact(cdkOut, options.stack);
  provideRuntimeSdk(PROJECT_ROOT);
  const environment: EnvironmentReport = { applied: [], unresolved: [] };
  const routes: Route[] = [];
  for (const artifact of located) {
    const report = applyTemplateEnvironment(artifact.environment, operatorEnv);
    environment.applied.push(...report.applied.filter((name) => !environment.applied.includes(name)));
    environment.unresolved.push(
      ...report.unresolved.filter((name) => !environment.unresolved.includes(name)),
    );
    routes.push({
      method: artifact.method,
      path: artifact.path,
      handler: await importHandler(pathToFileURL(artifact.modulePath), artifact.exportName),
      function: {
        functionName: artifact.functionId,
        timeoutMs: options.timeoutMs ?? artifact.timeoutSeconds * 1000,
        memoryLimitInMB: artifact.memorySize,
      },
    });
  }
  return { routes, located, environment };
}
