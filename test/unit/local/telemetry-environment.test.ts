import { describe, expect, it } from 'vitest';
import { telemetryEnvironment } from '../../../infra/local/telemetry-environment.ts';
import { ConfigError } from '../../../shared/errors.ts';

describe('telemetryEnvironment', () => {
  it.each([
    [
      'by default: no JSON logs, no metrics',
      false,
      {},
      { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
    ],
    ['--verbose: INFO logs and metrics', true, {}, { POWERTOOLS_LOG_LEVEL: 'INFO' }],
    [
      'LOG_LEVEL: logs at that level, no metrics',
      false,
      { LOG_LEVEL: 'warn' },
      { POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_METRICS_DISABLED: 'true' },
    ],
    ['--verbose with LOG_LEVEL', true, { LOG_LEVEL: 'Debug' }, { POWERTOOLS_LOG_LEVEL: 'DEBUG' }],
    [
      "Powertools' own settings are left alone",
      false,
      { POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'false' },
      {},
    ],
  ])('%s', (_case, verbose, env, expected) => {
    expect(telemetryEnvironment({ verbose }, env)).toEqual(expected);
  });

  it('refuses a level Powertools would silently ignore, naming it', () => {
    const act = () => telemetryEnvironment({ verbose: false }, { LOG_LEVEL: 'loud' });

    expect(act).toThrow(ConfigError);
    expect(act).toThrow('LOG_LEVEL is "loud": use one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT');
  });
});
