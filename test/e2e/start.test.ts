import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { PortraitGetResponse } from '../../shared/tencent/portrait-types.ts';
import { type GatewayProcess, runGatewayToExit, startGatewayProcess } from '../support/gateway-process.ts';

const STACK_FRAME = /^\s+at /m;

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

describe.each([
  ['PORT', { PORT: 'eighty' }],
  ['RATE_LIMIT_PER_SECOND', { RATE_LIMIT_PER_SECOND: '0' }],
  ['TIM_REGION', { TIM_REGION: 'mars' }],
  ['TIM_BASE_URL', { TIM_BASE_URL: 'http://tencent.example.com' }],
  ['TIM_SECRET_KEY', { TIM_SDKAPPID: '1400000000', TIM_ADMIN_IDENTIFIER: 'administrator' }],
  ['TABLE_NAME', { TABLE_NAME: 'no spaces allowed' }],
])('npm start with a bad %s', (variable, env) => {
  it('stops with exit code 1 and a one-line message naming the variable, no stack trace', async () => {
    // Act
    const exit = await runGatewayToExit({ env });

    // Assess
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain(variable);
    expect(exit.stderr).not.toMatch(STACK_FRAME);
    expect(exit.stdout).not.toContain('listening on');
  });
});

describe('npm start on embedded defaults', () => {
  it('says plainly that it runs in demo mode and prints its real address', async () => {
    // Act
    gateway = await startGatewayProcess();

    // Assess
    expect(gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(gateway.stdout).toContain('DEMO MODE');
    expect(gateway.stdout).toContain('embedded in-memory dynalite');
    expect(gateway.stdout.match(/^listening on /gm)).toHaveLength(1);
  });

  it('prints a curl example that works in demo mode', async () => {
    // Prepare
    gateway = await startGatewayProcess({ args: ['--quiet'] });
    const [, url, body] = await gateway.waitForOutput(
      /^\s*curl -s (\S+) -H 'Content-Type: application\/json' -d '(.+)'$/m,
    );

    // Act
    const response = await fetch(url as string, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: body as string,
    });

    // Assess
    expect(response.status).toBe(200);
    const reply = (await response.json()) as PortraitGetResponse;
    expect(reply.ActionStatus).toBe('OK');
    expect(reply.UserProfileItem?.[0]?.ProfileItem).toContainEqual({
      Tag: 'Tag_Profile_IM_Nick',
      Value: 'Alice',
    });
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

  it('refuses an unknown option with a message and exit code 1', async () => {
    // Act
    const exit = await runGatewayToExit({ args: ['--artefact'] });

    // Assess
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('--artefact');
    expect(exit.stderr).not.toMatch(STACK_FRAME);
  });

  it('stops with exit code 1 when its port is taken', async () => {
    // Prepare
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;

    // Act
    const exit = await runGatewayToExit({ env: { PORT: String(port) } });
    await new Promise<void>((resolve) => taken.close(() => resolve()));

    // Assess
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('cannot listen');
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
