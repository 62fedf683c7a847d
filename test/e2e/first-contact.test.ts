import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PortraitGetResponse } from '../../shared/tencent/portrait-types.ts';
import {
  type GatewayProcess,
  QUEUE_SCRIPT,
  runGatewayToExit,
  startGatewayProcess,
  WEBHOOK_SCRIPT,
} from '../support/gateway-process.ts';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The try-line `npm start` prints, as a person copies it: the URL and the body. */
const TRY_LINE = /^ {2}curl -i (\S+) -H 'Content-Type: application\/json' -d '(.+)'$/m;

interface Answer {
  status: number;
  upstreamCalls: string | null;
  reply: PortraitGetResponse;
}

async function ask(url: string, body: string): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body,
  });
  return {
    status: response.status,
    upstreamCalls: response.headers.get('X-Upstream-Calls'),
    reply: (await response.json()) as PortraitGetResponse,
  };
}

/** Runs the try-line the gateway printed, twice, as the terminal tells a newcomer to. */
async function tryTwice(started: GatewayProcess): Promise<[Answer, Answer]> {
  const [, url, body] = await started.waitForOutput(TRY_LINE);
  const first = await ask(url as string, body as string);
  const second = await ask(url as string, body as string);
  return [first, second];
}

const nickOf = (reply: PortraitGetResponse, account: string) =>
  reply.UserProfileItem?.find((item) => item.To_Account === account)?.ProfileItem?.find(
    (field) => field.Tag === 'Tag_Profile_IM_Nick',
  )?.Value;

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

/** AWS configuration files of a machine whose SSO session is not logged in. */
let awsDir: string;
beforeAll(() => {
  awsDir = mkdtempSync(join(tmpdir(), 'first-contact-aws-'));
  writeFileSync(
    join(awsDir, 'config'),
    [
      '[profile sso-dev]',
      'sso_session = corp',
      'sso_account_id = 111122223333',
      'sso_role_name = Developer',
      'region = eu-central-1',
      '[sso-session corp]',
      'sso_start_url = https://corp.awsapps.com/start',
      'sso_region = eu-central-1',
      '',
    ].join('\n'),
  );
  writeFileSync(join(awsDir, 'credentials'), '');
});

describe('a newcomer runs `npm start` with AWS_PROFILE set to an SSO profile that is not logged in', () => {
  it('gets from the printed try-line to a cached second answer', async () => {
    // Prepare
    gateway = await startGatewayProcess({
      viaNpm: true,
      env: {
        AWS_PROFILE: 'sso-dev',
        AWS_CONFIG_FILE: join(awsDir, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: join(awsDir, 'credentials'),
      },
    });

    // Act
    const [first, second] = await tryTwice(gateway);

    // Assess
    expect(first).toMatchObject({ status: 200, upstreamCalls: '1' });
    expect(nickOf(first.reply, 'alice')).toBe('Alice');
    expect(first.reply.Fail_Account).toEqual(['nobody']);
    expect(second).toMatchObject({ status: 200, upstreamCalls: '0' });
    expect(second.reply).toEqual(first.reply);
    expect(gateway.stderr).not.toMatch(/CredentialsProviderError|credential sources/);
  });
});

describe.each([
  ['a profile that does not exist', { AWS_PROFILE: 'no-such-profile' }],
  [
    'no readable configuration, and instance metadata that never answers',
    {
      AWS_CONFIG_FILE: '/nonexistent/aws/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws/credentials',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9',
    },
  ],
  [
    'AWS credentials of a real account in the environment',
    { AWS_ACCESS_KEY_ID: 'AKIAREAL', AWS_SECRET_ACCESS_KEY: 'x', AWS_SESSION_TOKEN: 'session' },
  ],
])('npm start with %s', (_case, env) => {
  it('answers from its own embedded services', async () => {
    // Prepare
    gateway = await startGatewayProcess({
      env: { AWS_CONFIG_FILE: join(awsDir, 'config'), ...env },
    });

    // Act
    const [first, second] = await tryTwice(gateway);

    // Assess
    expect(first).toMatchObject({ status: 200, upstreamCalls: '1' });
    expect(second).toMatchObject({ status: 200, upstreamCalls: '0' });
    expect(gateway.stderr).toBe('');
  });
});

describe('the README quick start', () => {
  it('shows the try-line npm start prints', async () => {
    // Prepare
    gateway = await startGatewayProcess({ env: { PORT: '0' } });
    const [printed] = await gateway.waitForOutput(TRY_LINE);

    // Act
    const asInReadme = printed.replace(gateway.url, 'http://127.0.0.1:3000');

    // Assess
    expect(README).toContain(asInReadme);
  });

  it('shows the webhook recipe the helper runs, account read first', () => {
    expect(README).toContain('TIM_CALLBACK_TOKEN=my-token npm start');
    expect(README).toContain(
      "TIM_CALLBACK_TOKEN=my-token npm run webhook -- alice Tag_Profile_IM_Nick 'Alice 2'",
    );
  });
});

describe('Ctrl-C and SIGTERM to `npm start`', () => {
  it.each([
    ['SIGTERM to npm', (started: GatewayProcess) => started.stop('SIGTERM')],
    ['Ctrl-C (SIGINT to the whole process group)', (started: GatewayProcess) => started.interrupt()],
  ])('%s stops the server and exits 0', async (_case, signal) => {
    // Prepare
    const started = await startGatewayProcess({ viaNpm: true });

    // Act
    const exit = await signal(started);

    // Assess
    expect(exit).toMatchObject({ code: 0, signal: null });
    await expect(fetch(started.url)).rejects.toThrow();
  });
});

describe('npm run webhook', () => {
  it("changes a cached account's nickname, served from the cache afterwards", async () => {
    // Prepare
    gateway = await startGatewayProcess({ env: { TIM_CALLBACK_TOKEN: 'my-token' } });
    const url = `${gateway.url}/v4/profile/portrait_get`;
    const body = JSON.stringify({ To_Account: ['alice'], TagList: ['Tag_Profile_IM_Nick'] });
    await ask(url, body);

    // Act
    const sent = await runGatewayToExit(
      {
        args: ['--url', gateway.url, 'alice', 'Tag_Profile_IM_Nick', 'Alice 2'],
        env: { TIM_CALLBACK_TOKEN: 'my-token' },
      },
      WEBHOOK_SCRIPT,
    );
    const after = await ask(url, body);

    // Assess
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain('200 {"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}');
    expect(nickOf(after.reply, 'alice')).toBe('Alice 2');
    expect(after.upstreamCalls).toBe('0');
  });

  it('says so and exits 1 when the gateway refuses it (another token)', async () => {
    // Prepare
    gateway = await startGatewayProcess({ env: { TIM_CALLBACK_TOKEN: 'my-token' } });

    // Act
    const sent = await runGatewayToExit(
      {
        args: ['--url', gateway.url, 'alice', 'Tag_Profile_IM_Nick', 'Alice 2'],
        env: { TIM_CALLBACK_TOKEN: 'another-token' },
      },
      WEBHOOK_SCRIPT,
    );

    // Assess
    expect(sent.code).toBe(1);
    expect(sent.stdout).toContain('401');
    expect(sent.stdout).toContain('Sign does not match the callback token');
  });

  it.each([
    [['alice', 'Tag_Profile_IM_Nick', 'Alice 2'], {}, 'TIM_CALLBACK_TOKEN is not set: set it to the token'],
    [
      ['alice', 'Tag_Profile_IM_Level', 'high'],
      { TIM_CALLBACK_TOKEN: 't' },
      'value is "high": Tag_Profile_IM_Level holds a whole number',
    ],
    [['alice', 'Nick', 'x'], { TIM_CALLBACK_TOKEN: 't' }, 'tag is "Nick": use a standard tag'],
    [['alice'], { TIM_CALLBACK_TOKEN: 't' }, 'give three arguments'],
  ])('refuses %j in one line with exit code 1', async (args, env, message) => {
    // Act
    const sent = await runGatewayToExit({ args, env }, WEBHOOK_SCRIPT);

    // Assess
    expect(sent.code).toBe(1);
    expect(sent.stderr).toMatch(/^webhook: [^\n]+\n$/);
    expect(sent.stderr).toContain(message);
  });
});

describe('npm run queue', () => {
  it('runs the consumer on one batch and prints each result for the results queue, fetched in one call', async () => {
    // Prepare
    const messages = [
      JSON.stringify({
        To_Account: ['alice', 'bob'],
        TagList: ['Tag_Profile_IM_Nick'],
        CorrelationId: 'order-42',
      }),
      JSON.stringify({ To_Account: ['carol'], TagList: ['Tag_Profile_IM_Nick'], CorrelationId: 'order-43' }),
      'not json',
    ];

    // Act
    const exit = await runGatewayToExit({ args: messages }, QUEUE_SCRIPT);

    // Assess
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('"CorrelationId": "order-42"');
    expect(exit.stdout).toContain('"CorrelationId": "order-43"');
    expect(exit.stdout).toContain('"Value": "Carol"');
    expect(exit.stdout).toContain('"ErrorCode": 60003');
    expect(exit.stdout.match(/^to the results queue/gm)).toHaveLength(3);
    expect(exit.stdout).toContain('batch response: every message done');
    expect(exit.stdout).toContain('upstream calls: 1\n');
    expect(exit.stderr).toBe('');
  });

  it('says how to give a message when none is given, with exit code 1', async () => {
    // Act
    const exit = await runGatewayToExit({}, QUEUE_SCRIPT);

    // Assess
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain("queue: no message given: npm run queue -- '<message>'");
  });
});
