import { ConfigError } from '../../shared/errors.ts';
import { variableProblem } from '../../shared/variable-problem.ts';

/** Powertools' log levels, least to most severe; `LOG_LEVEL` takes one of them. */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;

/**
 * The environment the functions' telemetry gets locally. Their JSON logs and metrics are for
 * CloudWatch; a person at a terminal reads the access line instead. So both are off unless
 * `--verbose` (logs at `LOG_LEVEL`, default INFO, and metrics) or `LOG_LEVEL` (logs at that
 * level). Variables the operator set for Powertools themselves are left as they are. Throws
 * {@link ConfigError} for a `LOG_LEVEL` Powertools does not know (it would ignore it silently).
 */
export function telemetryEnvironment(
  options: { verbose: boolean },
  env: NodeJS.ProcessEnv,
): Record<string, string> {
  const raw = env.LOG_LEVEL?.trim();
  const level = raw ? raw.toUpperCase() : undefined;
  if (level !== undefined && !(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError(
      variableProblem('LOG_LEVEL', raw, `use one of ${LOG_LEVELS.join(', ')} (any case), or unset it`),
    );
  }
  const settings: Record<string, string> = {};
  if (env.POWERTOOLS_LOG_LEVEL === undefined) {
    settings.POWERTOOLS_LOG_LEVEL = level ?? (options.verbose ? 'INFO' : 'SILENT');
  }
  if (env.POWERTOOLS_METRICS_DISABLED === undefined && !options.verbose) {
    settings.POWERTOOLS_METRICS_DISABLED = 'true';
  }
  return settings;
}
