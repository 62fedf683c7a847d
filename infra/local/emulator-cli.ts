/**
 * `npm run emulator`: the Tencent IM emulator as a process of its own, for benchmarks, several
 * gateway processes at once, or trying requests by hand. It serves the demo profiles.
 *
 * Environment: `PORT` (default 5555; 0 = any free port), `HOST` (default 127.0.0.1),
 * `TIM_SDKAPPID`, `TIM_ADMIN_IDENTIFIER`, `TIM_SECRET_KEY` (all three or none; none = the demo app),
 * `EMULATOR_RATE_PER_SECOND` (Tencent's ceiling to play, default 200). Stops cleanly on SIGINT/SIGTERM
 * (exit code 0); a setting it cannot use stops it with one line in the gateway's style and exit code 1.
 */
import { variableProblem } from '../../shared/variable-problem.ts';
import { DEMO_CREDENTIALS, DEMO_CUSTOM_TAGS, DEMO_PROFILES } from './demo-profiles.ts';
import { DEFAULT_RATE_PER_SECOND, type EmulatorOptions, TencentEmulator } from './emulator.ts';
import { listenProblem } from './listen-problem.ts';

const DEFAULT_PORT = 5555;

/** An environment variable the emulator cannot use; the message names it, never a secret's value. */
class EmulatorCliError extends Error {
  override readonly name = 'EmulatorCliError';
}

function wholeNumber(name: string, fallback: number | undefined, min: number, max: number): number {
  const raw = process.env[name]?.trim() ?? '';
  if (raw === '' && fallback !== undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    const unset = fallback === undefined ? '' : `, or unset it for the default (${fallback})`;
    throw new EmulatorCliError(
      variableProblem(name, process.env[name], `use a whole number from ${min} to ${max}${unset}`),
    );
  }
  return value;
}

function credentialsFromEnv(): { sdkAppId: number; identifier: string; secretKey: string; demo: boolean } {
  const names = ['TIM_SDKAPPID', 'TIM_ADMIN_IDENTIFIER', 'TIM_SECRET_KEY'] as const;
  const given = names.filter((name) => (process.env[name]?.trim() ?? '') !== '');
  if (given.length === 0) return { ...DEMO_CREDENTIALS, demo: true };
  if (given.length < names.length) {
    const missing = names.filter((name) => !given.includes(name));
    throw new EmulatorCliError(
      variableProblem(
        missing[0] as string,
        undefined,
        `${names.join(', ')} go together; set ${missing.join(' and ')} too, or unset ${given.join(' and ')} for the demo app`,
      ),
    );
  }
  return {
    sdkAppId: wholeNumber('TIM_SDKAPPID', undefined, 1, Number.MAX_SAFE_INTEGER),
    identifier: (process.env.TIM_ADMIN_IDENTIFIER as string).trim(),
    secretKey: (process.env.TIM_SECRET_KEY as string).trim(),
    demo: false,
  };
}

function optionsFromEnv(): { options: EmulatorOptions; demo: boolean } {
  const credentials = credentialsFromEnv();
  return {
    demo: credentials.demo,
    options: {
      sdkAppId: credentials.sdkAppId,
      adminIdentifier: credentials.identifier,
      secretKey: credentials.secretKey,
      port: wholeNumber('PORT', DEFAULT_PORT, 0, 65_535),
      host: process.env.HOST?.trim() || '127.0.0.1',
      ratePerSecond: wholeNumber('EMULATOR_RATE_PER_SECOND', DEFAULT_RATE_PER_SECOND, 1, 1_000_000),
      profiles: DEMO_PROFILES,
      customTags: [...DEMO_CUSTOM_TAGS],
    },
  };
}

/**
 * Exits with a one-line message instead of a stack trace: every failure here is the operator's to
 * fix. Exit code 1, as the gateway's own `npm start`.
 */
function exitWith(message: string): never {
  console.error(`emulator: ${message}`);
  process.exit(1);
}

function startedOptions(): { options: EmulatorOptions; demo: boolean } {
  try {
    return optionsFromEnv();
  } catch (error) {
    if (!(error instanceof EmulatorCliError)) throw error;
    return exitWith(error.message);
  }
}

const { options, demo } = startedOptions();
const emulator = await TencentEmulator.start(options).catch((error: NodeJS.ErrnoException) =>
  exitWith(
    listenProblem(error, options.host ?? '127.0.0.1', options.port ?? DEFAULT_PORT) ??
      `cannot listen on ${options.host}:${options.port} (${error.code ?? error.message})`,
  ),
);
const secretShown = demo ? options.secretKey : '(the value of TIM_SECRET_KEY)';

let stopping = false;
/** Closes on the first SIGINT or SIGTERM; a repeat (npm forwards Ctrl-C too) is ignored. */
const stop = (signal: NodeJS.Signals): void => {
  if (stopping) return;
  stopping = true;
  console.log(`emulator: ${signal}, closing`);
  emulator.close().then(
    () => {
      process.exitCode = 0;
    },
    (error: unknown) => {
      console.error(`emulator: close failed: ${(error as Error).message}`);
      process.exitCode = 1;
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// Only now: whoever reads the next line may signal at once, and the handlers must be there.
console.log(`Tencent IM emulator listening on ${emulator.url}
  sdkappid ${options.sdkAppId}, admin identifier ${options.adminIdentifier}, secret key ${secretShown}
  ceiling ${options.ratePerSecond} calls per sliding second; ${Object.keys(DEMO_PROFILES).length} demo accounts (alice … judy, user0001 …)
  test hooks: GET /__emulator/calls, POST /__emulator/faults, POST /__emulator/reset, PUT /__emulator/profiles/<account>
Point the gateway at it with:
  TIM_BASE_URL=${emulator.url} TIM_SDKAPPID=${options.sdkAppId} TIM_ADMIN_IDENTIFIER=${options.adminIdentifier} TIM_SECRET_KEY=${demo ? options.secretKey : '…'}`);
