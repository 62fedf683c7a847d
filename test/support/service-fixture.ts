import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { TencentEmulator } from '../../infra/local/emulator.ts';
import { DynamoProfileCache } from '../../shared/cache/profile-cache.ts';
import { DEFAULTS } from '../../shared/config.ts';
import type { DynamoDbClients } from '../../shared/dynamodb-client.ts';
import { PortraitService } from '../../shared/portrait/portrait-service.ts';
import type { RateLimiter } from '../../shared/portrait/ports.ts';
import { DynamoRateLimiter } from '../../shared/ratelimit/dynamo-rate-limiter.ts';
import { staticCredentials } from '../../shared/secrets/static-credentials.ts';
import { TencentClient } from '../../shared/upstream/tencent-client.ts';
import { UserSigSigner } from '../../shared/upstream/usersig-signer.ts';
import { createTestTable, type RunningDynalite, startDynalite } from './dynalite.ts';
import { startTestEmulator, TEST_CREDENTIALS } from './emulator-factory.ts';

/** The real parts a PortraitService stands on: dynalite and the Tencent IM emulator, on loopback. */
export interface ServiceParts {
  dynamo: RunningDynalite;
  emulator: TencentEmulator;
  close(): Promise<void>;
}

export async function startServiceParts(emulatorRatePerSecond = 200): Promise<ServiceParts> {
  const [dynamo, emulator] = await Promise.all([
    startDynalite(),
    startTestEmulator({ ratePerSecond: emulatorRatePerSecond }),
  ]);
  return {
    dynamo,
    emulator,
    close: async () => {
      await Promise.all([dynamo.close(), emulator.close()]);
    },
  };
}

export interface ServiceInstanceOptions {
  tableName: string;
  /** This instance's clock offset from true time (simulated skew between Lambda instances). */
  clockOffsetMs?: number;
  /** This instance's clock instead (epoch ms), e.g. a manual one shared by several instances; the limiter keeps real time. */
  now?: () => number;
  ceilingPerSecond?: number;
  /** The limiter's margin (`RATE_MARGIN_MS`). Default 50, as deployed. */
  marginMs?: number;
  cacheTtlSeconds?: number;
  /** Default `DEFAULTS.staleIfErrorSeconds`, as deployed. */
  staleIfErrorSeconds?: number;
  /** Default `DEFAULTS.earlyRefreshMs`, as deployed. */
  earlyRefreshMs?: number;
  /** The early refresh's draws; default `Math.random`. */
  random?: () => number;
  /** Clients for the cache and limiter; default fresh clients on the fixture's dynalite. */
  clients?: DynamoDbClients;
}

/** One Lambda instance's worth of the gateway's object graph, built from the real adapters. */
export function serviceInstance(parts: ServiceParts, options: ServiceInstanceOptions) {
  const realNow = () => Date.now() + (options.clockOffsetMs ?? 0);
  const now = options.now ?? realNow;
  const { documentClient } = options.clients ?? parts.dynamo.newClients();
  const cacheErrors: unknown[] = [];
  const limiterErrors: unknown[] = [];
  const cache = new DynamoProfileCache({
    client: documentClient,
    tableName: options.tableName,
    cacheTtlSeconds: options.cacheTtlSeconds ?? 600,
    negativeCacheTtlSeconds: 60,
    staleIfErrorSeconds: options.staleIfErrorSeconds ?? DEFAULTS.staleIfErrorSeconds,
    now,
    onError: (_operation, error) => cacheErrors.push(error),
  });
  const limiter = new DynamoRateLimiter({
    client: documentClient,
    tableName: options.tableName,
    ceilingPerSecond: options.ceilingPerSecond ?? 200,
    ...(options.marginMs !== undefined && { marginMs: options.marginMs }),
    // The limiter waits on real timers for the call times it reserved, so it keeps to real time
    // (with the instance's offset) even when a test moves the service's clock by hand.
    now: realNow,
    onError: (error) => limiterErrors.push(error),
  });
  const signer = new UserSigSigner(staticCredentials({ ...TEST_CREDENTIALS }), { now });
  const client = new TencentClient({
    signer,
    origins: [parts.emulator.url],
    timeouts: { headersMs: 1500, bodyMs: 1500 },
  });
  // A deadline on the instance's clock is the same time left on the limiter's. Handed over as is,
  // a deadline on a clock moved ten minutes ahead gave the limiter ten real minutes: the bench's
  // herd, three expiries ahead, kept its process alive for about 20 minutes after its last table.
  const limiterOnInstanceClock: RateLimiter = {
    join: (sdkAppId, calls, deadlineMs) => limiter.join(sdkAppId, calls, deadlineMs - now() + realNow()),
  };
  const service = new PortraitService({
    client,
    cache,
    limiter: now === realNow ? limiter : limiterOnInstanceClock,
    now,
    earlyRefreshMs: options.earlyRefreshMs ?? DEFAULTS.earlyRefreshMs,
    ...(options.random && { random: options.random }),
  });
  return { service, cache, limiter, cacheErrors, limiterErrors, now };
}

/** A fresh table on the fixture's dynalite. */
export const freshTable = (parts: ServiceParts): Promise<string> => createTestTable(parts.dynamo.client);

/** A deadline `ms` from now, on true time. */
export const deadlineIn = (ms: number): number => Date.now() + ms;

/** The service parts of a block of tests and the table of the test running now. */
export interface ServicePartsPerTest {
  readonly parts: ServiceParts;
  readonly tableName: string;
}

/**
 * Registers hooks in the calling file or `describe` block: one dynalite and one emulator for all of
 * its tests, and before each a fresh table, no faults and no recorded calls. Read the fields in
 * hooks and tests.
 */
export function servicePartsPerTest(): ServicePartsPerTest {
  let parts: ServiceParts | undefined;
  let tableName: string | undefined;
  beforeAll(async () => {
    parts = await startServiceParts();
  });
  afterAll(async () => {
    await parts?.close();
  });
  beforeEach(async () => {
    if (parts === undefined) throw new Error('the service parts did not start');
    tableName = await freshTable(parts);
    parts.emulator.clearFaults();
    parts.emulator.resetCalls();
  });
  return {
    get parts() {
      if (parts === undefined)
        throw new Error('the service parts start in beforeAll: read them in a hook or test');
      return parts;
    },
    get tableName() {
      if (tableName === undefined) throw new Error('the table is made in beforeEach: read it in a test');
      return tableName;
    },
  };
}
