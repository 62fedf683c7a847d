import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { locateArtifact } from '../infra/local/artifact.ts';
import { DEMO_CREDENTIALS } from '../infra/local/demo-profiles.ts';
import { median, percentile } from './stats.ts';

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Inside the project, so the bundles find the AWS SDK in node_modules as Lambda's runtime provides it. */
const WORK_DIR = join(REPO_ROOT, 'bench', '.tmp');
const PORTRAIT_GET = '/v4/profile/portrait_get';
const RUNS = 10;

/** What gateway-function.ts puts at the top of every ESM bundle; the baseline gets the same. */
const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module';const require = createRequire(import.meta.url);";

export interface BundleMeasure {
  bytes: number;
  gzipBytes: number;
  importMedianMs: number;
  importP90Ms: number;
}

export interface ColdStartResult {
  sdkPackages: string[];
  /** Whether the bundle leaves the SDK to the Lambda runtime (imports it) or carries it. */
  sdkExternal: boolean;
  artifact: BundleMeasure;
  baseline: BundleMeasure;
}

/** `cdk synth` as an operator runs it, into bench/.tmp/cdk.out; the HTTP function's bundle and its environment. */
async function synthesizeHttpBundle(): Promise<{ modulePath: string; environment: Record<string, string> }> {
  const cdkOut = join(WORK_DIR, 'cdk.out');
  rmSync(cdkOut, { recursive: true, force: true });
  await run(process.execPath, ['node_modules/aws-cdk/bin/cdk', 'synth', '--quiet', '-o', cdkOut], {
    cwd: REPO_ROOT,
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
    timeout: 180_000,
  });
  const route = locateArtifact(cdkOut).find((r) => r.path === PORTRAIT_GET);
  if (route === undefined) throw new Error(`the synthesized API has no ${PORTRAIT_GET}`);
  const literal = Object.entries(route.environment).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
  return { modulePath: route.modulePath, environment: Object.fromEntries(literal) };
}

/** The AWS SDK packages a bundle imports at run time (minified or not). */
const importedSdkPackages = (source: string): string[] =>
  [
    ...new Set([...source.matchAll(/from\s*["'](@aws-sdk\/[a-z0-9-]+)["']/g)].map((m) => m[1] as string)),
  ].sort();

/**
 * The SDK packages esbuild puts into the function when it bundles them (the SDK-bundled variant):
 * those with code in the output, not every one it read (a client imported but unused is dropped).
 */
async function bundledSdkPackages(): Promise<string[]> {
  const { metafile } = await build({
    entryPoints: [join(REPO_ROOT, 'functions', 'http.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    mainFields: ['module', 'main'],
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.values(metafile.outputs).flatMap((output) => Object.entries(output.inputs));
  const names = inputs.flatMap(([input, { bytesInOutput }]) => {
    const match = /node_modules\/(@aws-sdk\/(?:client|lib)-[a-z0-9-]+)\//.exec(input);
    return match?.[1] === undefined || bytesInOutput === 0 ? [] : [match[1]];
  });
  return [...new Set(names)].sort();
}

/** A bundle that imports nothing but these SDK packages, built the way the function's bundle is. */
async function buildBaseline(packages: string[], sdkExternal: boolean): Promise<string> {
  const outfile = join(WORK_DIR, 'baseline', 'index.mjs');
  mkdirSync(join(WORK_DIR, 'baseline'), { recursive: true });
  await build({
    stdin: {
      contents: packages.map((name, i) => `export * as sdk${i} from '${name}';`).join('\n'),
      resolveDir: REPO_ROOT,
      loader: 'js',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    mainFields: ['module', 'main'],
    minify: true,
    banner: { js: ESM_REQUIRE_BANNER },
    external: sdkExternal ? ['@aws-sdk/*'] : [],
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

const IMPORT_TIMER =
  'const t0 = performance.now(); await import(process.env.BENCH_MODULE); ' +
  'process.stdout.write(String(performance.now() - t0)); process.exit(0);';

/** Milliseconds a fresh Node 24 process takes to import `modulePath` (module init included). */
async function importOnce(modulePath: string, env: Record<string, string>): Promise<number> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', IMPORT_TIMER], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...env, BENCH_MODULE: pathToFileURL(modulePath).href },
    timeout: 60_000,
  });
  return Number(stdout);
}

function sizeOf(path: string): { bytes: number; gzipBytes: number } {
  return { bytes: statSync(path).size, gzipBytes: gzipSync(readFileSync(path)).length };
}

/**
 * The built HTTP bundle against a bundle of only the SDK clients it uses: size, and import time in
 * a fresh Node 24 process (median and p90 of 10, the two alternated), with the function's
 * environment from the template (local values for the deploy-time ones).
 */
export async function runColdStart(): Promise<ColdStartResult> {
  const { modulePath, environment } = await synthesizeHttpBundle();
  const source = readFileSync(modulePath, 'utf8');
  const imported = importedSdkPackages(source);
  const sdkExternal = imported.length > 0;
  const sdkPackages = sdkExternal ? imported : await bundledSdkPackages();
  const baselinePath = await buildBaseline(sdkPackages, sdkExternal);
  const env: Record<string, string> = {
    ...environment,
    TIM_BASE_URL: 'http://127.0.0.1:9',
    TIM_SDKAPPID: String(DEMO_CREDENTIALS.sdkAppId),
    TIM_ADMIN_IDENTIFIER: DEMO_CREDENTIALS.identifier,
    TIM_SECRET_KEY: DEMO_CREDENTIALS.secretKey,
    DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
    TABLE_NAME: 'bench',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  };
  delete env.TIM_SECRET_ID;
  const artifactTimes: number[] = [];
  const baselineTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    artifactTimes.push(await importOnce(modulePath, env));
    baselineTimes.push(await importOnce(baselinePath, env));
  }
  const measure = (path: string, times: number[]): BundleMeasure => ({
    ...sizeOf(path),
    importMedianMs: median(times),
    importP90Ms: percentile(times, 90),
  });
  return {
    sdkPackages,
    sdkExternal,
    artifact: measure(modulePath, artifactTimes),
    baseline: measure(baselinePath, baselineTimes),
  };
}
