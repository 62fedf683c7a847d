import { createServer } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Faults, TencentEmulator } from '../../infra/local/emulator.ts';
import {
  GatewayError,
  InvalidRequestError,
  TencentApiError,
  TencentProtocolError,
  TencentTransportError,
} from '../../shared/errors.ts';
import type { CredentialsProvider } from '../../shared/portrait/ports.ts';
import { staticCredentials } from '../../shared/secrets/static-credentials.ts';
import { CODE_TABLE, ruleFor } from '../../shared/tencent/error-codes.ts';
import { verifyUserSig } from '../../shared/tencent/usersig.ts';
import {
  closeConnections,
  TencentClient,
  UNREACHABLE_ORIGIN_MS,
} from '../../shared/upstream/tencent-client.ts';
import { UserSigSigner } from '../../shared/upstream/usersig-signer.ts';
import { closedLoopbackOrigin, type LoopbackServer, startLoopbackServer } from '../support/loopback-http.ts';
import { rejectionOf } from '../support/rejection-of.ts';
import { RotatingCredentials, testCredentials } from '../support/tencent-credentials.ts';
import {
  DOC_CUSTOM_TAGS,
  DOC_EXAMPLES,
  DOC_PROFILES,
  docNick,
  foundItem,
  okReply,
} from '../support/tencent-doc-examples.ts';

const credentials = testCredentials();
const clientFor = (origins: string[], now?: () => number) =>
  new TencentClient({
    signer: new UserSigSigner(staticCredentials(credentials)),
    origins,
    ...(now && { now }),
  });

const OK_REPLY = okReply([foundItem('alice', [{ Tag: 'Tag_Profile_IM_Nick', Value: 'Alice' }])]);

afterAll(() => {
  closeConnections();
});

describe('TencentClient over plain loopback servers', () => {
  const servers: Array<Pick<LoopbackServer, 'close'>> = [];
  const serve = async (...args: Parameters<typeof startLoopbackServer>) => {
    const server = await startLoopbackServer(...args);
    servers.push(server);
    return server;
  };
  /** Answers OK_REPLY on the port of an origin that refused connections so far: a primary back up. */
  const revive = async (origin: string) => {
    const revived = { requests: 0 };
    const server = createServer((_, response) => {
      revived.requests += 1;
      response.end(JSON.stringify(OK_REPLY));
    });
    await new Promise<void>((resolve) => server.listen(Number(new URL(origin).port), '127.0.0.1', resolve));
    servers.push({
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    });
    return revived;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
    closeConnections();
  });

  it('sends the documented query and body, with a fresh random and a valid UserSig', async () => {
    // Prepare
    const tencent = await serve((_, response) => response.end(JSON.stringify(OK_REPLY)));
    const client = clientFor([tencent.origin]);

    // Act
    await client.portraitGet(['alice'], ['Tag_Profile_IM_Nick']);
    await client.portraitGet(['alice'], ['Tag_Profile_IM_Nick']);

    // Assess
    const [first, second] = tencent.requests.map(({ url }) => new URL(url, tencent.origin));
    expect(first?.pathname).toBe('/v4/profile/portrait_get');
    expect([...(first?.searchParams.keys() ?? [])]).toEqual([
      'sdkappid',
      'identifier',
      'usersig',
      'random',
      'contenttype',
    ]);
    expect(first?.searchParams.get('sdkappid')).toBe(String(credentials.sdkAppId));
    expect(first?.searchParams.get('identifier')).toBe(credentials.identifier);
    expect(first?.searchParams.get('contenttype')).toBe('json');
    expect(verifyUserSig(first?.searchParams.get('usersig') ?? '', credentials).ok).toBe(true);
    const randoms = [first, second].map((url) => Number(url?.searchParams.get('random')));
    for (const random of randoms)
      expect(Number.isInteger(random) && random >= 0 && random < 2 ** 32).toBe(true);
    expect(randoms[0]).not.toBe(randoms[1]);
    expect(JSON.parse(tencent.requests[0]?.body ?? '')).toEqual({
      To_Account: ['alice'],
      TagList: ['Tag_Profile_IM_Nick'],
    });
  });

  it('reads an error page that keeps coming within the body timeout to its end: an http-status failure', async () => {
    // Prepare: a 502 whose page arrives in 6 parts 100 ms apart, 500 ms in all, against a 250 ms body timeout.
    const tencent = await serve((_, response) => {
      response.writeHead(502, { 'content-type': 'text/html' });
      let parts = 0;
      const timer = setInterval(() => {
        parts += 1;
        if (parts < 6) response.write('<p>bad gateway</p>');
        else {
          clearInterval(timer);
          response.end();
        }
      }, 100);
    });
    const client = new TencentClient({
      signer: new UserSigSigner(staticCredentials(credentials)),
      origins: [tencent.origin],
      timeouts: { headersMs: 1000, bodyMs: 250 },
    });

    // Act
    const error = await rejectionOf(client.portraitGet(['alice'], ['Tag_Profile_IM_Nick']));

    // Assess
    expect(error).toMatchObject({ name: 'TencentTransportError', failure: 'http-status', httpStatus: 502 });
  });

  it('fails a call the primary refused as retryable, and sends the next call to the backup domain', async () => {
    // Prepare
    const primary = await closedLoopbackOrigin();
    const backup = await serve((_, response) => response.end(JSON.stringify(OK_REPLY)));
    const client = clientFor([primary, backup.origin]);

    // Act
    const refused = await rejectionOf(client.portraitGet(['alice'], ['Tag_Profile_IM_Nick']));
    const backupRequestsAfterRefusal = backup.requests.length;
    const reply = await client.portraitGet(['alice'], ['Tag_Profile_IM_Nick']);

    // Assess
    expect(refused).toMatchObject({ name: 'TencentTransportError', failure: 'connection', retryable: true });
    expect(refused.message).toContain(`${primary} (ECONNREFUSED)`);
    expect(refused.message).toContain(`the next attempt uses the backup domain ${backup.origin}`);
    for (const secret of ['usersig', 'portrait_get?', credentials.secretKey]) {
      expect(refused.message).not.toContain(secret);
    }
    expect(backupRequestsAfterRefusal).toBe(0);
    expect(reply).toEqual(OK_REPLY);
    expect(backup.requests).toHaveLength(1);
  });

  it('passes over an unreachable primary until its mark expires, then uses it again', async () => {
    // Prepare: the primary refuses once, then listens again on the same port.
    const clock = { ms: Date.now() };
    const primary = await closedLoopbackOrigin();
    const backup = await serve((_, response) => response.end(JSON.stringify(OK_REPLY)));
    const client = clientFor([primary, backup.origin], () => clock.ms);
    await rejectionOf(client.portraitGet(['alice'], ['Tag_Profile_IM_Nick']));
    const revived = await revive(primary);

    // Act
    clock.ms += UNREACHABLE_ORIGIN_MS - 1;
    await client.portraitGet(['alice'], ['Tag_Profile_IM_Nick']);
    const beforeExpiry = { primary: revived.requests, backup: backup.requests.length };
    clock.ms += 1;
    await client.portraitGet(['alice'], ['Tag_Profile_IM_Nick']);
    await client.portraitGet(['alice'], ['Tag_Profile_IM_Nick']);

    // Assess
    expect(beforeExpiry).toEqual({ primary: 0, backup: 1 });
    expect(revived.requests).toBe(2);
    expect(backup.requests).toHaveLength(1);
  });

  it('keeps a burst of calls on a bounded number of sockets', async () => {
    // Prepare
    const tencent = await serve((_, response) => {
      setTimeout(() => response.end(JSON.stringify(OK_REPLY)), 20);
    });
    const client = new TencentClient({
      signer: new UserSigSigner(staticCredentials(credentials)),
      origins: [tencent.origin],
      connectionsPerOrigin: 4,
    });

    // Act
    const replies = await Promise.all(
      Array.from({ length: 40 }, () => client.portraitGet(['alice'], ['Tag_Profile_IM_Nick'])),
    );

    // Assess
    expect(replies).toHaveLength(40);
    expect(tencent.requests).toHaveLength(40);
    expect(tencent.requests.filter((request) => !request.socketReused).length).toBeLessThanOrEqual(4);
  });

  it('with every origin unreachable, tries them in turn, the one passed over longest first', async () => {
    // Prepare
    const [primary, backup] = [await closedLoopbackOrigin(), await closedLoopbackOrigin()];
    const client = clientFor([primary, backup]);

    // Act
    const errors: Error[] = [];
    for (let call = 0; call < 3; call += 1) {
      errors.push(await rejectionOf(client.portraitGet(['alice'], ['Tag_Profile_IM_Nick'])));
    }

    // Assess
    for (const error of errors) {
      expect(error).toBeInstanceOf(TencentTransportError);
      expect(error).toMatchObject({ failure: 'connection', retryable: true });
    }
    expect(errors.map(({ message }) => message)).toEqual([
      expect.stringContaining(
        `${primary} (ECONNREFUSED); it is passed over for 60 s and the next attempt uses the backup domain ${backup}`,
      ),
      expect.stringContaining(
        `${backup} (ECONNREFUSED); it is passed over for 60 s and the next attempt uses the primary domain ${primary}`,
      ),
      expect.stringContaining(`${primary} (ECONNREFUSED)`),
    ]);
  });

  it('with its only origin unreachable, says the next attempt tries it again', async () => {
    // Prepare
    const origin = await closedLoopbackOrigin();
    const client = clientFor([origin]);
    await rejectionOf(client.portraitGet(['alice'], ['Tag_Profile_IM_Nick']));

    // Act
    const error = await rejectionOf(client.portraitGet(['alice'], ['Tag_Profile_IM_Nick']));

    // Assess
    expect(error).toMatchObject({ name: 'TencentTransportError', failure: 'connection', retryable: true });
    expect(error.message).toContain(`${origin} (ECONNREFUSED)`);
    expect(error.message).toContain('the next attempt tries it again');
  });

  it('reports a pooled connection that died before answering as retryable, without trying the backup', async () => {
    // Prepare: a reused keep-alive socket is dead, as after a Lambda freeze.
    const primary = await serve((request, response, { socketReused }) => {
      if (socketReused) request.socket.destroy();
      else response.end(JSON.stringify(OK_REPLY));
    });
    const backup = await serve((_, response) => response.end(JSON.stringify(OK_REPLY)));
    const client = clientFor([primary.origin, backup.origin]);

    // Act: the pool decides when it reuses a socket, so call until it does.
    let error: Error | undefined;
    for (let call = 0; call < 5 && error === undefined; call += 1) {
      error = await client.portraitGet(['alice'], ['Tag_Profile_IM_Nick']).then(
        () => undefined,
        (thrown: Error) => thrown,
      );
    }

    // Assess
    expect(error).toMatchObject({ name: 'TencentTransportError', failure: 'connection', retryable: true });
    expect(error?.message).toContain('ECONNRESET');
    expect(primary.requests.at(-1)?.socketReused).toBe(true);
    expect(backup.requests).toHaveLength(0);
  });
});

const APP = testCredentials({ identifier: 'portrait-admin', secretKey: 'integration-secret-key-7f3a9c1e5b' });

/** How a client is built for one test: its clock, credential source, timeouts and origins. */
interface ClientSetup {
  now?: () => number;
  provider?: CredentialsProvider;
  headersMs?: number;
  origins?: string[];
}

describe('TencentClient against the Tencent IM emulator', () => {
  let emulator: TencentEmulator;

  const setUp = ({
    now,
    provider = staticCredentials(APP),
    headersMs = 2_000,
    origins,
  }: ClientSetup = {}) => {
    const signer = new UserSigSigner(provider, now ? { now } : {});
    const client = new TencentClient({
      signer,
      origins: origins ?? [emulator.url],
      timeouts: { headersMs, bodyMs: headersMs },
    });
    return { client, signer };
  };

  beforeAll(async () => {
    emulator = await TencentEmulator.start({
      sdkAppId: APP.sdkAppId,
      adminIdentifier: APP.identifier,
      secretKey: APP.secretKey,
      profiles: DOC_PROFILES,
      customTags: [...DOC_CUSTOM_TAGS],
    });
  });
  afterEach(() => {
    emulator.clearFaults();
    emulator.setSecretKey(APP.secretKey);
    emulator.resetCalls();
  });
  afterAll(async () => {
    closeConnections();
    await emulator.close();
  });

  describe("the examples of Tencent's documentation", () => {
    it.each(DOC_EXAMPLES)('$name', async ({ request, faults, reply: documented }) => {
      // Prepare
      if (faults) emulator.setFaults(faults);

      // Act
      const reply = await setUp().client.portraitGet(request.To_Account, request.TagList);

      // Assess
      expect(reply).toEqual(documented);
      expect(emulator.calls).toEqual([
        { at: expect.any(Number), accounts: request.To_Account.length, outcome: 0 },
      ]);
    });

    it('an account that does not exist as a per-account 40003, not an error', async () => {
      // Act
      const reply = await setUp().client.portraitGet(['id1', 'ghost'], ['Tag_Profile_IM_Nick']);

      // Assess
      expect(reply.Fail_Account).toEqual(['ghost']);
      expect(reply.UserProfileItem?.[1]).toMatchObject({ To_Account: 'ghost', ResultCode: 40003 });
    });

    it('100 accounts in one call', async () => {
      // Prepare
      const accounts = Array.from({ length: 100 }, (_, i) => `id${(i % 4) + 1}`);

      // Act
      const reply = await setUp().client.portraitGet(accounts, ['Tag_Profile_IM_Nick']);

      // Assess
      expect(reply.UserProfileItem?.map((item) => item.To_Account)).toEqual(accounts);
      expect(emulator.calls).toEqual([{ at: expect.any(Number), accounts: 100, outcome: 0 }]);
    });
  });

  describe.each(
    Object.keys(CODE_TABLE)
      .map(Number)
      .filter((code) => code !== 0),
  )('Tencent answering FAIL with %i', (code) => {
    it(`throws a TencentApiError with the disposition of the code table, after one call`, async () => {
      // Prepare
      emulator.setFaults({ forceCode: code });

      // Act
      const error = await rejectionOf(setUp().client.portraitGet(['id1'], ['Tag_Profile_IM_Nick']));

      // Assess
      expect(error).toBeInstanceOf(TencentApiError);
      expect(error).toMatchObject({ code, disposition: ruleFor(code).disposition });
      expect(emulator.calls).toEqual([{ at: expect.any(Number), accounts: 1, outcome: code }]);
    });
  });

  it('passes through a code outside the table as fatal', async () => {
    // Prepare
    emulator.setFaults({ forceCode: 91234 });

    // Act
    const error = await rejectionOf(setUp().client.portraitGet(['id1'], ['Tag_Profile_IM_Nick']));

    // Assess
    expect(error).toMatchObject({ name: 'TencentApiError', code: 91234, retryable: false });
  });

  it('sends every call at once, however many are in flight: a released slot is never queued for a socket', async () => {
    // Prepare: each answer takes 300 ms, so a call queued behind a busy socket would arrive 300 ms late.
    emulator.setFaults({ latencyMs: 300 });
    const { client } = setUp({ headersMs: 5_000 });

    // Act
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => client.portraitGet([`id${(i % 3) + 1}`], ['Tag_Profile_IM_Nick'])),
    );

    // Assess
    const arrivals = emulator.calls.map((call) => call.at);
    expect(arrivals).toHaveLength(40);
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeLessThan(250);
  });

  describe('injected faults', () => {
    it('a slow reply inside the timeout is still an answer', async () => {
      // Prepare
      emulator.setFaults({ latencyMs: 150 });

      // Act
      const reply = await setUp({ headersMs: 5_000 }).client.portraitGet(['id1'], ['Tag_Profile_IM_Nick']);

      // Assess
      expect(reply).toEqual(okReply([foundItem('id1', [docNick(1)])]));
    });

    it('a reply that never comes is a retryable timeout', async () => {
      // Prepare
      emulator.setFaults({ hang: true });

      // Act
      const error = await rejectionOf(
        setUp({ headersMs: 200 }).client.portraitGet(['id1'], ['Tag_Profile_IM_Nick']),
      );

      // Assess
      expect(error).toMatchObject({ name: 'TencentTransportError', failure: 'timeout', retryable: true });
      expect(emulator.calls.map((call) => call.outcome)).toEqual(['hang']);
    });

    it("the caller's signal ends a hanging call as aborted", async () => {
      // Prepare
      emulator.setFaults({ hang: true });
      const controller = new AbortController();
      const call = rejectionOf(
        setUp().client.portraitGet(['id1'], ['Tag_Profile_IM_Nick'], controller.signal),
      );
      await vi.waitFor(() => expect(emulator.calls).toHaveLength(1));

      // Act
      controller.abort();
      const error = await call;

      // Assess
      expect(error).toMatchObject({ name: 'TencentTransportError', failure: 'aborted' });
    });

    it('an already aborted signal makes no call', async () => {
      // Act
      const error = await rejectionOf(
        setUp().client.portraitGet(['id1'], ['Tag_Profile_IM_Nick'], AbortSignal.abort()),
      );

      // Assess
      expect(error).toMatchObject({ name: 'TencentTransportError', failure: 'aborted' });
      expect(emulator.calls).toHaveLength(0);
    });

    it.each([502, 503, 404])('HTTP %i is an http-status failure carrying the status', async (status) => {
      // Prepare
      emulator.setFaults({ httpStatus: status });

      // Act
      const error = await rejectionOf(setUp().client.portraitGet(['id1'], ['Tag_Profile_IM_Nick']));

      // Assess
      expect(error).toMatchObject({
        name: 'TencentTransportError',
        failure: 'http-status',
        httpStatus: status,
      });
    });

    it('a reset connection is a retryable connection failure', async () => {
      // Prepare
      emulator.setFaults({ reset: true });

      // Act
      const error = await rejectionOf(setUp().client.portraitGet(['id1'], ['Tag_Profile_IM_Nick']));

      // Assess
      expect(error).toMatchObject({ name: 'TencentTransportError', failure: 'connection', retryable: true });
    });

    it('a truncated JSON body is a protocol error', async () => {
      // Prepare
      emulator.setFaults({ malformedJson: true });

      // Act
      const error = await rejectionOf(setUp().client.portraitGet(['id1'], ['Tag_Profile_IM_Nick']));

      // Assess
      expect(error).toBeInstanceOf(TencentProtocolError);
      expect(error.message).toMatch(/not JSON/);
    });

    it('works again once a fault is over', async () => {
      // Prepare
      emulator.setFaults({ reset: true, times: 1 });
      const { client } = setUp();
      await rejectionOf(client.portraitGet(['id1'], ['Tag_Profile_IM_Nick']));

      // Act
      const reply = await client.portraitGet(['id1'], ['Tag_Profile_IM_Nick']);

      // Assess
      expect(reply.ActionStatus).toBe('OK');
      expect(emulator.calls.map((call) => call.outcome)).toEqual(['reset', 0]);
    });
  });

  describe('credentials, as Tencent checks them', () => {
    it('reaches the emulator through the backup origin on the attempt after the primary was unreachable', async () => {
      // Prepare
      const { client } = setUp({ origins: [await closedLoopbackOrigin(), emulator.url] });
      const refused = await rejectionOf(client.portraitGet(['id1'], ['Tag_Profile_IM_Nick']));

      // Act
      const reply = await client.portraitGet(['id1'], ['Tag_Profile_IM_Nick']);

      // Assess
      expect(refused).toMatchObject({
        name: 'TencentTransportError',
        failure: 'connection',
        retryable: true,
      });
      expect(reply).toEqual(okReply([foundItem('id1', [docNick(1)])]));
      expect(emulator.calls).toHaveLength(1);
    });

    it('makes a call with the UserSig ready() prepared, asking the credentials source nothing in between', async () => {
      // Prepare: the slot is granted between ready() and portraitGet(); a secret read there would
      // delay the call past its slot's window.
      const provider = new RotatingCredentials(APP);
      const { client } = setUp({ provider });
      await client.ready();
      const readsBeforeTheCall = provider.gets;

      // Act
      const reply = await client.portraitGet(['id1'], ['Tag_Profile_IM_Nick']);

      // Assess
      expect(reply.ActionStatus).toBe('OK');
      expect(provider.gets).toBe(readsBeforeTheCall);
    });

    it('reloadCredentials() recovers from a rotated secret key (70005)', async () => {
      // Prepare
      const provider = new RotatingCredentials(APP);
      const { client } = setUp({ provider });
      await client.portraitGet(['id1'], ['Tag_Profile_IM_Nick']);
      const rotated = { ...APP, secretKey: 'the-secret-key-after-rotation' };
      emulator.setSecretKey(rotated.secretKey);
      provider.rotateOnRefresh(rotated);
      const stale = await rejectionOf(client.portraitGet(['id1'], ['Tag_Profile_IM_Nick']));

      // Act
      await client.reloadCredentials();
      const reply = await client.portraitGet(['id1'], ['Tag_Profile_IM_Nick']);

      // Assess
      expect(stale).toMatchObject({
        name: 'TencentApiError',
        code: 70005,
        disposition: 'reload-credentials',
      });
      expect(reply.ActionStatus).toBe('OK');
      expect(provider.refreshes).toBe(1);
    });

    it('renewUserSig() recovers from an expired UserSig (70001) the signer still held', async () => {
      // Prepare: signed with a clock a day and ten minutes behind, then the clock jumps forward but
      // not far enough for the signer to renew on its own.
      const realNow = Date.now();
      const clock = { ms: realNow - 86_400_000 - 600_000 };
      const { client } = setUp({ now: () => clock.ms });
      const expired = await rejectionOf(client.portraitGet(['id1'], ['Tag_Profile_IM_Nick']));
      clock.ms = realNow - 3_600_000 - 660_000;
      const stillExpired = await rejectionOf(client.portraitGet(['id1'], ['Tag_Profile_IM_Nick']));

      // Act
      await client.renewUserSig();
      const reply = await client.portraitGet(['id1'], ['Tag_Profile_IM_Nick']);

      // Assess
      expect(expired).toMatchObject({ name: 'TencentApiError', code: 70001, disposition: 'resign' });
      expect(stillExpired).toMatchObject({ code: 70001 });
      expect(reply.ActionStatus).toBe('OK');
    });

    it.each([
      { case: 'another SDKAppID', credentials: { ...APP, sdkAppId: 1400000999 }, code: 60006 },
      {
        case: 'an identifier that is not the admin',
        credentials: { ...APP, identifier: 'not-admin' },
        code: 60004,
      },
    ])('$case is refused with $code, a configuration error', async ({ credentials: wrong, code }) => {
      // Act
      const error = await rejectionOf(
        setUp({ provider: staticCredentials(wrong) }).client.portraitGet(['id1'], ['Tag_Profile_IM_Nick']),
      );

      // Assess
      expect(error).toMatchObject({ name: 'TencentApiError', code, disposition: 'fatal-config' });
    });

    it("a custom tag the app does not define is Tencent's 40009, not ours", async () => {
      // Act
      const error = await rejectionOf(setUp().client.portraitGet(['id1'], ['Tag_Profile_Custom_Nope']));

      // Assess
      expect(error).toMatchObject({ name: 'TencentApiError', code: 40009, disposition: 'fatal-request' });
    });

    it('sdkAppId() names the app the client signs for', async () => {
      // Act
      const sdkAppId = await setUp().client.sdkAppId();

      // Assess
      expect(sdkAppId).toBe(APP.sdkAppId);
    });
  });

  describe.each([
    { case: 'no accounts', accounts: [], tags: ['Tag_Profile_IM_Nick'], code: 40002, field: 'To_Account' },
    {
      case: '101 accounts',
      accounts: Array.from({ length: 101 }, (_, i) => `u${i}`),
      tags: ['Tag_Profile_IM_Nick'],
      code: 40001,
      field: 'To_Account',
    },
    {
      case: 'an empty account',
      accounts: ['id1', ''],
      tags: ['Tag_Profile_IM_Nick'],
      code: 40001,
      field: 'To_Account[1]',
    },
    {
      case: 'a non-ASCII account',
      accounts: ['zoë'],
      tags: ['Tag_Profile_IM_Nick'],
      code: 40001,
      field: 'To_Account[0]',
    },
    {
      case: 'a 33-byte account',
      accounts: ['a'.repeat(33)],
      tags: ['Tag_Profile_IM_Nick'],
      code: 40001,
      field: 'To_Account[0]',
    },
    { case: 'no tags', accounts: ['id1'], tags: [], code: 40001, field: 'TagList' },
    {
      case: 'an unknown standard tag',
      accounts: ['id1'],
      tags: ['Tag_Profile_IM_Nick', 'Tag_Profile_IM_Age'],
      code: 40001,
      field: 'TagList[1]',
    },
    {
      case: 'a malformed custom tag',
      accounts: ['id1'],
      tags: ['Tag_Profile_Custom_no-dashes'],
      code: 40001,
      field: 'TagList[0]',
    },
  ])('a request with $case', ({ accounts, tags, code, field }) => {
    it(`is refused with ${code} naming ${field}, and Tencent never sees it`, async () => {
      // Act
      const error = await rejectionOf(setUp().client.portraitGet(accounts, tags));

      // Assess
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error).toMatchObject({ code, field });
      expect(error.message).toContain(field);
      expect(emulator.calls).toHaveLength(0);
    });
  });

  /** Every way a call can fail, each leaving the client's secret and UserSig at hand for the leak check. */
  const ERROR_PATHS: ReadonlyArray<{
    case: string;
    faults?: Faults;
    setup?: () => Promise<ClientSetup>;
    accounts?: string[];
  }> = [
    { case: 'a FAIL code', faults: { forceCode: 70005 } },
    { case: 'a per-request code of Tencent', faults: { forceCode: 40001 } },
    { case: 'a hang', faults: { hang: true }, setup: async () => ({ headersMs: 200 }) },
    { case: 'HTTP 502', faults: { httpStatus: 502 } },
    { case: 'a reset', faults: { reset: true } },
    { case: 'malformed JSON', faults: { malformedJson: true } },
    {
      case: 'no origin reachable',
      setup: async () => ({ origins: [await closedLoopbackOrigin(), await closedLoopbackOrigin()] }),
    },
    { case: 'an invalid request', accounts: ['x'.repeat(40)] },
    {
      case: 'a rotated key',
      setup: async () => {
        emulator.setSecretKey('rotated');
        return {};
      },
    },
  ];

  describe.each(ERROR_PATHS)('failing on $case', ({ faults, setup, accounts = ['id1'] }) => {
    it('shows neither the secret key nor the UserSig in the message, stack or JSON', async () => {
      // Prepare
      if (faults) emulator.setFaults(faults);
      const { client, signer } = setUp(await setup?.());
      const { userSig } = await signer.current();

      // Act
      const error = await rejectionOf(client.portraitGet(accounts, ['Tag_Profile_IM_Nick']));

      // Assess
      expect(error).toBeInstanceOf(GatewayError);
      // The whole cause chain, as a log line of the error would show it.
      const chain: unknown[] = [];
      for (let link: unknown = error; link instanceof Error; link = link.cause) chain.push(link);
      const exposed = chain
        .flatMap((link) => {
          const linkError = link as Error;
          return [linkError.message, linkError.stack, String(linkError), JSON.stringify({ ...linkError })];
        })
        .join('\n');
      expect(exposed).not.toContain(APP.secretKey);
      expect(exposed).not.toContain(userSig);
      expect(exposed).not.toContain(encodeURIComponent(userSig));
    });
  });
});
