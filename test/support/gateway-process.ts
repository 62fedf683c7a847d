import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Variables of the environment contract (docs/local.md, "Environment") and of the AWS SDK and
 * Powertools, never inherited from the test's own environment.
 */
const CONTRACT =
  /^(PORT|HOST|TIM_.*|DYNAMODB_ENDPOINT|TABLE_NAME|RATE_LIMIT_PER_SECOND|RATE_MARGIN_MS|STALE_IF_ERROR_SECONDS|EARLY_REFRESH_MS|.*_TTL_SECONDS|MAX_ACCOUNTS_PER_REQUEST|AWS_.*|LOG_LEVEL|POWERTOOLS_.*)$/;

export interface GatewayProcessOptions {
  /** Added to the environment; `PORT` defaults to 0 (a free port). */
  env?: Record<string, string>;
  /** Arguments after the script, e.g. `['--artifact', '--cdk-out', dir]` for infra/local/start.ts. */
  args?: string[];
  /** How long to wait for the `listening on` line. Default 20 s. */
  startTimeoutMs?: number;
  /**
   * Run it as a person does, `npm start -- <args>` (npm, its prestart check, then the script),
   * in a process group of its own so a test can press Ctrl-C ({@link GatewayProcess.interrupt}).
   */
  viaNpm?: boolean;
}

/** The local gateway, as `npm start` runs it. */
export const GATEWAY_SCRIPT = 'infra/local/start.ts';
/** The Tencent IM emulator on its own, as `npm run emulator` runs it. */
export const EMULATOR_SCRIPT = 'infra/local/emulator-cli.ts';
/** The signed-webhook helper, as `npm run webhook` runs it. */
export const WEBHOOK_SCRIPT = 'infra/local/webhook-cli.ts';
/** The queue try-out, as `npm run queue` runs it. */
export const QUEUE_SCRIPT = 'infra/local/queue-cli.ts';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface GatewayProcess {
  /** `http://127.0.0.1:<port>`, as the process printed it. */
  url: string;
  /** The process id (npm's, with `viaNpm`), e.g. to read its memory from /proc. */
  pid: number | undefined;
  /** Everything printed so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Sends `signal` (default SIGTERM) and resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
  /** SIGINT to the whole process group, as Ctrl-C in a terminal sends it (with `viaNpm`). */
  interrupt(): Promise<Exit>;
  /** The first match of `pattern` in stdout, waiting up to 5 s for it to be printed. */
  waitForOutput(pattern: RegExp): Promise<RegExpExecArray>;
}

/** The test's own environment without any contract variable, plus `env`. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !CONTRACT.test(name)));
  return { ...inherited, PORT: '0', ...env };
}

function spawnScript(
  script: string,
  options: GatewayProcessOptions,
): {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  exited: Promise<Exit>;
} {
  const args = options.args ?? [];
  // process.execPath is the Node 24 the tests run on, as `npm start` would use.
  const [command, commandArgs] = options.viaNpm
    ? ['npm', ['start', ...(args.length > 0 ? ['--', ...args] : [])]]
    : [process.execPath, [script, ...args]];
  const child = spawn(command, commandArgs, {
    cwd: REPO_ROOT,
    env: cleanEnv(options.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.viaNpm === true,
  });
  const output = { stdout: '', stderr: '' };
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    output.stdout += text;
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    output.stderr += text;
  });
  const exited = new Promise<Exit>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, ...output })),
  );
  return { child, output, exited };
}

/**
 * Starts `node <script>` (default the gateway, as `npm start` does) on a free port, and resolves
 * once it printed `listening on <url>` at the end of a line. Rejects with its output when it exits
 * or stays silent first.
 */
export async function startGatewayProcess(
  options: GatewayProcessOptions = {},
  script: string = GATEWAY_SCRIPT,
): Promise<GatewayProcess> {
  const { child, output, exited } = spawnScript(script, options);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`${script} printed no "listening on" line in time:\n${output.stdout}\n${output.stderr}`),
      );
    }, options.startTimeoutMs ?? 20_000);
    const onData = () => {
      const match = /(?:^|\s)listening on (http:\/\/\S+)\r?\n/m.exec(output.stdout);
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve(match[1]);
    };
    child.stdout?.on('data', onData);
    void exited.then((exit) => {
      clearTimeout(timer);
      reject(
        new Error(
          `${script} exited (${exit.code ?? exit.signal}) before listening:\n${exit.stdout}\n${exit.stderr}`,
        ),
      );
    });
  });
  return {
    url,
    pid: child.pid,
    get stdout() {
      return output.stdout;
    },
    get stderr() {
      return output.stderr;
    },
    waitForOutput: async (pattern) => {
      for (const deadline = Date.now() + 5_000; Date.now() < deadline; await delay(20)) {
        const match = pattern.exec(output.stdout);
        if (match) return match;
      }
      throw new Error(`${script} did not print ${pattern}:\n${output.stdout}`);
    },
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    interrupt: () => {
      if (child.exitCode === null && child.signalCode === null)
        process.kill(-(child.pid as number), 'SIGINT');
      return exited;
    },
  };
}

/**
 * Runs `node <script>` (default the gateway) expecting it to stop on its own (a bad configuration,
 * `--help`), with a 20 s bound.
 */
export async function runGatewayToExit(
  options: GatewayProcessOptions = {},
  script: string = GATEWAY_SCRIPT,
): Promise<Exit> {
  const { child, exited } = spawnScript(script, options);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.startTimeoutMs ?? 20_000);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}
