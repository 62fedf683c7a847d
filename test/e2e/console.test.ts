import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, startGatewayProcess } from '../support/gateway-process.ts';

const TRY = JSON.stringify({ To_Account: ['alice', 'bob', 'nobody'], TagList: ['Tag_Profile_IM_Nick'] });

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

/** Starts the gateway with `args` and `env`, asks the try request twice and waits for both access lines. */
async function askTwice(args: string[], env: Record<string, string> = {}): Promise<GatewayProcess> {
  const started = await startGatewayProcess({ args, env });
  for (let i = 0; i < 2; i++) {
    const response = await fetch(`${started.url}/v4/profile/portrait_get`, { method: 'POST', body: TRY });
    await response.arrayBuffer();
  }
  // The access line follows the reply; a last request on an unknown path marks the end.
  await (await fetch(`${started.url}/done`)).arrayBuffer();
  if (!args.includes('--quiet')) await started.waitForOutput(/^GET \/done 404/m);
  return started;
}

const jsonLines = (stdout: string) => stdout.split('\n').filter((line) => line.startsWith('{'));

describe('the local console', () => {
  it('prints one access line per request: status, time, hits, misses, upstream calls; no JSON', async () => {
    // Act
    gateway = await askTwice([]);

    // Assess
    const lines = gateway.stdout.split('\n').filter((line) => line.startsWith('POST '));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^POST \/v4\/profile\/portrait_get 200 \d+ms hits=0 misses=3 upstream=1$/);
    expect(lines[1]).toMatch(/^POST \/v4\/profile\/portrait_get 200 \d+ms hits=3 misses=0 upstream=0$/);
    expect(jsonLines(gateway.stdout)).toEqual([]);
  });

  it('with --verbose also prints the JSON logs and the metrics', async () => {
    // Act
    gateway = await askTwice(['--verbose']);

    // Assess
    const json = jsonLines(gateway.stdout).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(json.some((entry) => entry.level === 'INFO')).toBe(true);
    expect(json.some((entry) => '_aws' in entry)).toBe(true);
    expect(gateway.stdout).toMatch(/^POST \/v4\/profile\/portrait_get 200 /m);
  });

  it('with LOG_LEVEL prints the JSON logs at that level, without the metrics', async () => {
    // Act
    gateway = await askTwice([], { LOG_LEVEL: 'debug' });

    // Assess
    const json = jsonLines(gateway.stdout).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(json.some((entry) => entry.level === 'INFO')).toBe(true);
    expect(json.some((entry) => '_aws' in entry)).toBe(false);
  });

  it('with --quiet prints nothing but the address', async () => {
    // Act
    gateway = await askTwice(['--quiet']);

    // Assess
    expect(gateway.stdout).toBe(`listening on ${gateway.url}\n`);
  });
});
