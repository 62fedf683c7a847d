import { parseArgs } from 'node:util';
import { BOUNDS, DEFAULTS } from '../../shared/config.ts';
import { REGION_NAMES } from '../../shared/tencent/regions.ts';
import { variableProblem } from '../../shared/variable-problem.ts';
import { LOG_LEVELS } from './telemetry-environment.ts';

/** A command-line option or console setting `npm start` cannot use; the message says what to do. */
export class StartOptionError extends Error {
  override readonly name = 'StartOptionError';
}

/** What `npm start -- <options>` asked for. */
export interface StartOptions {
  artifact: boolean;
  cdkOut: string;
  stack?: string;
  timeoutMs?: number;
  /** Nothing but the `listening on` line and errors. */
  quiet: boolean;
  /** The functions' JSON logs and metrics as well as the access lines. */
  verbose: boolean;
  help: boolean;
}

/** Lambda's own bound on a function's timeout. */
const MAX_TIMEOUT_SECONDS = 900;

const SEE_HELP = 'see `npm start -- --help`';

/** The token Node's argument parser quotes in its message, e.g. `--artefact`. */
const quotedToken = (message: string): string => /'([^']+)'/.exec(message)?.[1] ?? message;

/** Node's parser errors, in the project's style: what was given, and where the options are listed. */
function optionProblem(error: NodeJS.ErrnoException): StartOptionError {
  const token = quotedToken(error.message);
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new StartOptionError(`${token} is not an option of npm start: ${SEE_HELP}`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new StartOptionError(`npm start takes no argument like ${JSON.stringify(token)}: ${SEE_HELP}`);
    default:
      return new StartOptionError(`${error.message}: ${SEE_HELP}`);
  }
}

/**
 * The options of `npm start` (see {@link START_HELP}). Throws {@link StartOptionError} for an
 * unknown option, a missing value or a timeout out of range.
 */
export function startOptions(args: string[]): StartOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (error) {
    if (String((error as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS')) {
      throw optionProblem(error as NodeJS.ErrnoException);
    }
    throw error;
  }
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0 && timeout <= MAX_TIMEOUT_SECONDS)) {
    throw new StartOptionError(
      variableProblem(
        '--timeout',
        values.timeout,
        `give a number of seconds above 0 and at most ${MAX_TIMEOUT_SECONDS}`,
      ),
    );
  }
  if (values.quiet && values.verbose) {
    throw new StartOptionError(`--quiet and --verbose contradict each other: give one of them`);
  }
  return {
    artifact: values.artifact,
    cdkOut: values['cdk-out'],
    quiet: values.quiet,
    verbose: values.verbose,
    help: values.help,
    ...(values.stack !== undefined && { stack: values.stack }),
    ...(timeout !== undefined && { timeoutMs: timeout * 1000 }),
  };
}

function parse(args: string[]) {
  return parseArgs({
    args,
    options: {
      artifact: { type: 'boolean', default: false },
      'cdk-out': { type: 'string', default: 'cdk.out' },
      stack: { type: 'string' },
      timeout: { type: 'string' },
      quiet: { type: 'boolean', short: 'q', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
}

/** `npm start -- --help`: the options, the environment and the exit codes. */
export const START_HELP = `Usage: npm start [-- options]

The gateway's functions behind a local HTTP server that plays API Gateway, on an in-memory DynamoDB
and, without Tencent credentials, the bundled Tencent IM emulator (demo mode). npm keeps options
before "--" for itself: write npm start -- --quiet, not npm start --quiet.

Options:
  -q, --quiet          print only the "listening on" line and errors
  -v, --verbose        also print the functions' JSON logs and metrics (as CloudWatch would get them)
      --timeout <s>    every function's timeout in seconds (default: the deployed one: 15 s, webhook 5 s)
      --artifact       serve the bundles \`npx cdk synth\` built (cdk.out) instead of the source
      --cdk-out <dir>  the cloud assembly for --artifact (default cdk.out)
      --stack <name>   the stack in it (default: the first with a REST API)
  -h, --help           this text

Environment:
  PORT, HOST               where to listen (${DEFAULTS.port}, ${DEFAULTS.host}); PORT=0 picks a free port
  TIM_SDKAPPID, TIM_ADMIN_IDENTIFIER, TIM_SECRET_KEY
                           a real Tencent app's admin credentials, all three or none (none: demo mode)
  TIM_REGION               its data center: ${REGION_NAMES.join(', ')}
  TIM_BASE_URL             an explicit Tencent origin instead (https, or http to this machine)
  TIM_CALLBACK_TOKEN       the webhook token; unset: POST /tencent-im/callback refuses every webhook
  DYNAMODB_ENDPOINT        an existing DynamoDB(-compatible) endpoint (default: an embedded one)
  TABLE_NAME               the table, created if missing (${DEFAULTS.tableName})
  RATE_LIMIT_PER_SECOND    the upstream ceiling to honour (${DEFAULTS.rateLimitPerSecond}; ${BOUNDS.rateLimitPerSecond.min} to ${BOUNDS.rateLimitPerSecond.max})
  RATE_MARGIN_MS           how late a call may reach Tencent after its release (${DEFAULTS.rateMarginMs}; ${BOUNDS.rateMarginMs.min} to ${BOUNDS.rateMarginMs.max})
  CACHE_TTL_SECONDS        freshness of a cached profile (${DEFAULTS.cacheTtlSeconds})
  NEGATIVE_CACHE_TTL_SECONDS  freshness of a cached "account not found" (${DEFAULTS.negativeCacheTtlSeconds})
  STALE_IF_ERROR_SECONDS   how long past its freshness a cached value may answer while Tencent cannot (${DEFAULTS.staleIfErrorSeconds})
  EARLY_REFRESH_MS         the early refresh's scale in ms; 0 turns it off (${DEFAULTS.earlyRefreshMs})
  MAX_ACCOUNTS_PER_REQUEST the largest request accepted (${DEFAULTS.maxAccountsPerRequest}; ${BOUNDS.maxAccountsPerRequest.min} to ${BOUNDS.maxAccountsPerRequest.max})
  LOG_LEVEL                the functions' JSON logs at this level: ${LOG_LEVELS.join(', ')}
  AWS_PROFILE and the rest of the AWS configuration are not used for anything on this machine
                           (the embedded services, a DYNAMODB_ENDPOINT on loopback): no AWS account needed.

Exit codes: 0 stopped by Ctrl-C (SIGINT) or SIGTERM; 1 could not start (the message names the
variable or option and what to do) or could not shut down cleanly.
More: docs/local.md`;
