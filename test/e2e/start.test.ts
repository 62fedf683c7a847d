import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EMULATOR_SCRIPT,
  GATEWAY_SCRIPT,
  type GatewayProcess,
  runGatewayToExit,
  startGatewayProcess,
} from '../support/gateway-process.ts';

const STACK_FRAME = /^\s+at /m;

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

/** A port nothing listens on: taken from the OS, then given back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.each([
  ['PORT', { PORT: 'eighty' }, 'PORT is "eighty": use a whole number from 0 to 65535'],
  [
    'RATE_LIMIT_PER_SECOND',
    { RATE_LIMIT_PER_SECOND: '0' },
    'RATE_LIMIT_PER_SECOND is "0": use a whole number from 1 to 100000, or unset it for the default (200)',
  ],
  ['TIM_REGION', { TIM_REGION: 'mars' }, 'TIM_REGION is "mars": use one of china, singapore'],
  [
    'TIM_BASE_URL',
    { TIM_BASE_URL: 'http://tencent.example.com' },
    'TIM_BASE_URL is "http://tencent.example.com": use an https:// URL',
  ],
  [
    'TIM_SECRET_KEY',
    { TIM_SDKAPPID: '1400000000', TIM_ADMIN_IDENTIFIER: 'administrator' },
    'TIM_SECRET_KEY is not set: TIM_SDKAPPID, TIM_ADMIN_IDENTIFIER, TIM_SECRET_KEY go together',
  ],
  [
    'TABLE_NAME',
    { TABLE_NAME: 'no spaces allowed' },
    'TABLE_NAME is "no spaces allowed": use a DynamoDB table name',
  ],
  [
    'HOST',
    // A documentation address (RFC 5737): no name to resolve, so nothing leaves this machine.
    { HOST: '192.0.2.1' },
    'HOST is "192.0.2.1": it is not an address of this machine (EADDRNOTAVAIL)',
  ],
  ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL is "loud": use one of TRACE, DEBUG, INFO'],
])('npm start with a bad %s', (_variable, env, message) => {
  it('stops with exit code 1 and one line: the variable, its value, what to do; no stack trace', async () => {
    // Act
    const exit = await runGatewayToExit({ env });

    // Assess
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain(`portrait-gateway: ${message}`);
    expect(exit.stderr.trim().split('\n')).toHaveLength(1);
    expect(exit.stderr).not.toMatch(STACK_FRAME);
    expect(exit.stdout).not.toContain('listening on');
  });
});

describe('npm start refuses what it cannot use', () => {
  it('names an unreachable DYNAMODB_ENDPOINT and says how to start one, in one line', async () => {
    // Prepare
    const endpoint = `http://127.0.0.1:${await closedPort()}`;

    // Act
    const exit = await runGatewayToExit({ env: { DYNAMODB_ENDPOINT: endpoint } });

    // Assess
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain(
      `DYNAMODB_ENDPOINT is "${endpoint}": no DynamoDB answered there (ECONNREFUSED)`,
    );
    expect(exit.stderr).toContain('npx dynalite');
    expect(exit.stderr).not.toMatch(STACK_FRAME);
  });

  it('says why a DYNAMODB_ENDPOINT off this machine cannot be used when no AWS credentials load', async () => {
    // Act
    const exit = await runGatewayToExit({
      env: {
        DYNAMODB_ENDPOINT: 'http://dynamodb.example.invalid:8000',
        AWS_PROFILE: 'no-such-profile',
        AWS_CONFIG_FILE: '/nonexistent/aws/config',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws/credentials',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    });

    // Assess
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain(
      'DYNAMODB_ENDPOINT is "http://dynamodb.example.invalid:8000": it is not on this machine, so your AWS configuration signs the calls, and it has no usable credentials',
    );
    expect(exit.stderr).not.toMatch(STACK_FRAME);
  });

  it('never echoes a secret it refuses', async () => {
    // Act
    const exit = await runGatewayToExit({
      env: { TIM_SECRET_KEY: 'super-secret-key', TIM_CALLBACK_TOKEN: 'super-secret-token' },
    });

    // Assess
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('TIM_SDKAPPID is not set');
    expect(exit.stderr).not.toContain('super-secret');
  });

  it('stops with exit code 1 when its port is taken, naming PORT and what to do', async () => {
    // Prepare
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;

    // Act
    const exit = await runGatewayToExit({ env: { PORT: String(port) } });
    await new Promise<void>((resolve) => taken.close(() => resolve()));

    // Assess
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain(`PORT is "${port}": 127.0.0.1:${port} is in use (EADDRINUSE)`);
    expect(exit.stderr).toContain('0 picks a free one');
    expect(exit.stderr).not.toMatch(STACK_FRAME);
  });

  it.each([
    [['--artefact'], '--artefact is not an option of npm start: see `npm start -- --help`'],
    [['--timeout', 'soon'], '--timeout is "soon": give a number of seconds above 0 and at most 900'],
    [['extra'], 'npm start takes no argument like "extra"'],
  ])('refuses %j with one line and exit code 1', async (args, message) => {
    // Act
    const exit = await runGatewayToExit({ args });

    // Assess
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain(message);
    expect(exit.stderr).not.toMatch(STACK_FRAME);
  });

  it('with --artifact and no cloud assembly, says to run cdk synth', async () => {
    // Act
    const exit = await runGatewayToExit({ args: ['--artifact', '--cdk-out', 'no-such-cdk.out'] });

    // Assess
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('cdk synth');
    expect(exit.stderr).not.toMatch(STACK_FRAME);
  });
});

describe.each([
  ['the gateway', GATEWAY_SCRIPT, 'portrait-gateway'],
  ['the emulator', EMULATOR_SCRIPT, 'emulator'],
])('%s and its settings', (_name, script, prefix) => {
  it('refuses a bad PORT in the same style, with the same exit code 1', async () => {
    // Act
    const exit = await runGatewayToExit({ env: { PORT: 'eighty' } }, script);

    // Assess
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(
      new RegExp(
        `^${prefix}: PORT is "eighty": use a whole number from 0 to 65535, or unset it for the default \\(\\d+\\)\\n$`,
      ),
    );
  });

  it('exits 0 on SIGTERM', async () => {
    // Prepare
    const started = await startGatewayProcess({}, script);

    // Act
    const exit = await started.stop('SIGTERM');

    // Assess
    expect(exit).toMatchObject({ code: 0, signal: null, stderr: '' });
  });
});

describe('npm start -- --help', () => {
  it('lists every option and every variable, and exits 0 without starting', async () => {
    // Act
    const exit = await runGatewayToExit({ args: ['--help'] });

    // Assess
    expect(exit.code).toBe(0);
    for (const option of [
      '--quiet',
      '--verbose',
      '--timeout',
      '--artifact',
      '--cdk-out',
      '--stack',
      '--help',
    ]) {
      expect(exit.stdout).toContain(option);
    }
    for (const variable of [
      'PORT',
      'HOST',
      'TIM_SDKAPPID',
      'TIM_ADMIN_IDENTIFIER',
      'TIM_SECRET_KEY',
      'TIM_REGION',
      'TIM_BASE_URL',
      'TIM_CALLBACK_TOKEN',
      'DYNAMODB_ENDPOINT',
      'TABLE_NAME',
      'RATE_LIMIT_PER_SECOND',
      'CACHE_TTL_SECONDS',
      'NEGATIVE_CACHE_TTL_SECONDS',
      'MAX_ACCOUNTS_PER_REQUEST',
      'LOG_LEVEL',
    ]) {
      expect(exit.stdout).toMatch(new RegExp(`^\\s+(\\S+, )*${variable}\\b`, 'm'));
    }
    expect(exit.stdout).not.toMatch(/^listening on /m);
  });
});

describe('npm start on embedded defaults', () => {
  it('says plainly that it runs in demo mode, whether webhooks are on, and prints its real address', async () => {
    // Act
    gateway = await startGatewayProcess();

    // Assess
    expect(gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(gateway.stdout).toContain('DEMO MODE');
    expect(gateway.stdout).toContain('embedded in-memory dynalite');
    expect(gateway.stdout).toContain('webhooks: off (set TIM_CALLBACK_TOKEN');
    expect(gateway.stdout.match(/^listening on /gm)).toHaveLength(1);
  });

  it('says webhooks are on when TIM_CALLBACK_TOKEN is set, and how to send one', async () => {
    // Act
    gateway = await startGatewayProcess({ env: { TIM_CALLBACK_TOKEN: 'my-token' } });
    await gateway.waitForOutput(/npm run webhook/);

    // Assess
    expect(gateway.stdout).toContain('webhooks: on (TIM_CALLBACK_TOKEN is set)');
    expect(gateway.stdout).toContain(
      `npm run webhook -- --url ${gateway.url} alice Tag_Profile_IM_Nick 'Alice 2'`,
    );
    expect(gateway.stdout).not.toContain('my-token');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('shuts down cleanly on %s', async (signal) => {
    // Prepare
    const started = await startGatewayProcess();

    // Act
    const exit = await started.stop(signal);

    // Assess
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.stdout).toContain(`${signal}: shutting down`);
    expect(exit.stderr).toBe('');
  });
});
