import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { DynamoDbClients } from '../../shared/dynamodb-client.ts';
import type { CallSlots, Slot } from '../../shared/portrait/ports.ts';
import {
  DEFAULT_MARGIN_MS,
  DEFAULT_MARGIN_PARTS,
  reservedTimes,
} from '../../shared/ratelimit/call-schedule.ts';
import {
  DynamoRateLimiter,
  FAIL_CLOSED_RETRY_MS,
  type RateLimiterOptions,
} from '../../shared/ratelimit/dynamo-rate-limiter.ts';
import { NEXT_FREE_ATTRIBUTE, rateScheduleKey } from '../../shared/ratelimit/schedule-table.ts';
import { PARTITION_KEY, TTL_ATTRIBUTE } from '../../shared/table-definition.ts';
import {
  dynaliteTablePerTest,
  interceptCommands,
  loopbackClients,
  type RunningDynalite,
} from '../support/dynalite.ts';
import { closedLoopbackOrigin } from '../support/loopback-http.ts';
import { busiestSecond } from '../support/sliding-second.ts';
import { VirtualTime } from '../support/virtual-time.ts';

const APP = 1_400_000_002;
const START = 1_800_000_000_000;
/** The fleets' clocks spread over this much: the skew share of the default margin. */
const MAX_SKEW_MS = DEFAULT_MARGIN_PARTS.skewMs;

/** One reservation write as dynalite answered it. */
interface ScheduleWriteSeen {
  /** Slots asked for (the span over T). */
  spanUs: number;
  /** The next free time after the write, or undefined when its condition refused it. */
  nextFreeUs: number | undefined;
}

/** Fresh clients of one instance on `dynamo`, held by `time`, whose schedule writes go to `writes`. */
function instanceClients(time: VirtualTime, dynamo: RunningDynalite, writes: ScheduleWriteSeen[] = []) {
  const clients = dynamo.newClients();
  interceptCommands(clients, async (command, proceed) => {
    if (command.name !== 'UpdateItemCommand') return proceed();
    try {
      const output = await proceed();
      writes.push(seenWrite(command.input, output));
      return output;
    } catch (error) {
      writes.push(seenWrite(command.input, undefined));
      throw error;
    }
  });
  return time.hold(clients);
}

function seenWrite(
  input: Record<string, unknown>,
  output: Record<string, unknown> | undefined,
): ScheduleWriteSeen {
  const values = input.ExpressionAttributeValues as Record<string, number>;
  const attributes = output?.Attributes as Record<string, number> | undefined;
  return {
    spanUs: values[':span'] ?? (values[':next'] as number) - (values[':start'] as number),
    nextFreeUs: attributes?.[NEXT_FREE_ATTRIBUTE],
  };
}

/** Takes every slot of `slots`' request at once; resolves to the clock's reading at each grant, or the refusal. */
const takeAll = (slots: CallSlots, calls: number, now: () => number) =>
  Promise.all(
    Array.from({ length: calls }, async () => {
      const slot = await slots.next();
      return slot.granted ? now() : slot;
    }),
  );

describe('DynamoRateLimiter on dynalite', () => {
  const table = dynaliteTablePerTest();

  /** One limiter on virtual time; `writes` records its schedule writes. */
  const oneInstance = (options: Partial<RateLimiterOptions> = {}) => {
    const time = new VirtualTime(START);
    const writes: ScheduleWriteSeen[] = [];
    const clients = instanceClients(time, table.dynamo, writes);
    const limiter = new DynamoRateLimiter({
      client: clients.documentClient,
      tableName: table.tableName,
      ceilingPerSecond: 200,
      now: time.now,
      sleep: time.sleep,
      ...options,
    });
    return { time, writes, clients, limiter, T: limiter.schedule.spacingUs / 1000 };
  };

  describe('one instance (virtual time)', () => {
    it('reserves times T apart in one write and starts each call when its time comes', async () => {
      // Prepare
      const { time, writes, limiter, T } = oneInstance();

      // Act
      const grants = await time.run(() => takeAll(limiter.join(APP, 3, START + 1000), 3, time.now));

      // Assess
      expect(T).toBe(5.251);
      expect(writes).toHaveLength(1);
      // The first time 5 ms ahead (a catch-up's lead); the clock reads whole ms, so calls start at the next one.
      expect(grants).toEqual([START + 5, START + Math.ceil(5 + T), START + Math.ceil(5 + 2 * T)]);
    });

    it('keeps one item per app: its next free time, and a TTL in epoch seconds a minute past it', async () => {
      // Prepare
      const { time, limiter } = oneInstance();
      const item = async () =>
        (
          await table.dynamo.documentClient.send(
            new GetCommand({ TableName: table.tableName, Key: { [PARTITION_KEY]: rateScheduleKey(APP) } }),
          )
        ).Item as Record<string, number>;

      // Act
      await time.run(() => takeAll(limiter.join(APP, 2, START + 1000), 2, time.now));
      const afterCatchUp = await item();
      const deadline = time.now() + 2000;
      await time.run(() => takeAll(limiter.join(APP, 4, deadline), 4, time.now));
      const afterAdvance = await item();

      // Assess
      const T = limiter.schedule.spacingUs;
      expect(afterCatchUp[NEXT_FREE_ATTRIBUTE]).toBe((START + 5) * 1000 + 2 * T);
      expect(afterCatchUp[TTL_ATTRIBUTE]).toBe(Math.ceil(((START + 5) * 1000 + 2 * T) / 1e6) + 60);
      expect(afterAdvance[NEXT_FREE_ATTRIBUTE]).toBe((START + 5) * 1000 + 6 * T);
      // An advance does not know where the shared time stands: its TTL counts from the latest it accepted.
      const nextFreeSeconds = (afterAdvance[NEXT_FREE_ATTRIBUTE] as number) / 1e6;
      expect(afterAdvance[TTL_ATTRIBUTE]).toBeGreaterThanOrEqual(nextFreeSeconds + 60);
      expect(afterAdvance[TTL_ATTRIBUTE]).toBeLessThanOrEqual(
        Math.ceil(deadline / 1000 + (4 * T) / 1e6) + 60,
      );
      expect(Number.isInteger(afterAdvance[TTL_ATTRIBUTE])).toBe(true);
    });

    describe.each([
      { lateMs: DEFAULT_MARGIN_PARTS.lateMs, used: true },
      { lateMs: DEFAULT_MARGIN_PARTS.lateMs + 1, used: false },
    ])('a reserved time already $lateMs ms past when the write comes back', ({ lateMs, used }) => {
      it(used ? 'is still used' : 'is dropped, never used, and a new time is reserved', async () => {
        // Prepare
        const { time, writes, clients, limiter } = oneInstance();
        let slowOnce = true;
        interceptCommands(clients, async (_command, proceed) => {
          const output = await proceed();
          // The catch-up reserved START + 5 ms: the answer arrives `lateMs` after that.
          if (slowOnce) time.jump(5 + lateMs);
          slowOnce = false;
          return output;
        });

        // Act
        const [grant] = await time.run(() => takeAll(limiter.join(APP, 1, START + 1000), 1, time.now));

        // Assess
        expect(limiter.slotsLate).toBe(used ? 0 : 1);
        expect(writes).toHaveLength(used ? 1 : 2);
        const reserved = writes.map((write) => (write.nextFreeUs as number) - limiter.schedule.spacingUs);
        expect(grant).toBe(used ? START + 5 + lateMs : Math.ceil((reserved[1] as number) / 1000));
        if (!used) expect(grant).toBeGreaterThan(START + 5 + DEFAULT_MARGIN_PARTS.lateMs);
      });
    });

    it('serves first come, first served: a request holding slots gets the next ones before a later request', async () => {
      // Prepare
      const { time, limiter } = oneInstance();
      const order: string[] = [];
      const first = limiter.join(APP, 3, START + 1000);
      const later = limiter.join(APP, 2, START + 1000);
      const take = async (slots: CallSlots, name: string) => {
        const slot = await slots.next();
        if (slot.granted) order.push(name);
      };

      // Act
      await time.run(() =>
        Promise.all([
          // The first request asks for one slot, and for its other two only once it has it.
          take(first, 'first').then(() => Promise.all([take(first, 'first'), take(first, 'first')])),
          take(later, 'later'),
          take(later, 'later'),
        ]),
      );

      // Assess
      expect(order).toEqual(['first', 'first', 'first', 'later', 'later']);
    });

    it('refuses a request the line ahead leaves no room for, before it spends a slot, saying when the line is through', async () => {
      // Prepare: 2 calls a second, T = 525 ms.
      const { time, writes, limiter } = oneInstance({ ceilingPerSecond: 2 });
      const T = limiter.schedule.spacingUs / 1000;
      const ahead = limiter.join(APP, 5, START + 3000);

      // Act
      const refused = limiter.join(APP, 2, START + 3000);
      const fits = limiter.join(APP, 1, START + 3000);
      const [refusal] = await time.run(() => takeAll(refused, 1, time.now));

      // Assess: the fifth call of the line ahead starts 5 + 4T ms from now, the refused one's second would at 5 + 6T.
      expect(refusal).toEqual({ granted: false, retryAfterMs: Math.ceil(5 + 5 * T) });
      expect(writes).toEqual([]);
      const grants = await time.run(() =>
        Promise.all([takeAll(ahead, 5, time.now), takeAll(fits, 1, time.now)]),
      );
      expect(grants.flat()).toHaveLength(6);
      expect(grants.flat().every((at) => typeof at === 'number' && at <= START + 3000)).toBe(true);
    });

    it('answers an ask whose deadline passes before a slot comes: no slot, and when to come back', async () => {
      // Prepare: 2 calls a second (T = 525 ms); a request of one call, then one that must start within 600 ms.
      const { time, limiter } = oneInstance({ ceilingPerSecond: 2 });
      const ahead = limiter.join(APP, 1, START + 5000);
      const hurried = limiter.join(APP, 1, START + 600);

      // Act: the request ahead asks for a second slot (a retry) before the hurried one gets its own.
      const [aheadGrants, [hurriedSlot]] = await time.run(() =>
        Promise.all([takeAll(ahead, 2, time.now), takeAll(hurried, 1, time.now)]),
      );

      // Assess
      expect(aheadGrants).toEqual([START + 5, START + Math.ceil(5 + limiter.schedule.spacingUs / 1000)]);
      expect(hurriedSlot).toMatchObject({ granted: false, retryAfterMs: expect.any(Number) });
    });

    it('keeps apps apart: another SDKAppID has its own schedule', async () => {
      // Prepare
      const { time, limiter } = oneInstance();

      // Act
      const grants = await time.run(() =>
        Promise.all([
          takeAll(limiter.join(APP, 1, START + 1000), 1, time.now),
          takeAll(limiter.join(APP + 1, 1, START + 1000), 1, time.now),
        ]),
      );

      // Assess: both first slots at the catch-up's lead, neither behind the other.
      expect(grants).toEqual([[START + 5], [START + 5]]);
    });
  });

  describe('failing closed', () => {
    const downLimiter = async (onError: (error: unknown) => void) => {
      const down = loopbackClients(await closedLoopbackOrigin());
      const limiter = new DynamoRateLimiter({
        client: down.documentClient,
        tableName: table.tableName,
        ceilingPerSecond: 200,
        onError,
      });
      return { limiter, close: () => down.client.destroy() };
    };
    const unavailable: Slot = { granted: false, retryAfterMs: FAIL_CLOSED_RETRY_MS, unavailable: true };

    it('grants nothing when DynamoDB is unreachable, and reports it', async () => {
      // Prepare
      const errors: unknown[] = [];
      const { limiter, close } = await downLimiter((error) => errors.push(error));

      // Act
      const slots = limiter.join(APP, 5, Date.now() + 10_000);
      const answers = await Promise.all([slots.next(), slots.next()]);
      close();

      // Assess
      expect(answers).toEqual([unavailable, unavailable]);
      expect(errors).toHaveLength(1);
    });

    it('still answers every waiter when the error reporter itself throws', async () => {
      // Prepare
      const { limiter, close } = await downLimiter(() => {
        throw new Error('the logger failed');
      });

      // Act
      const answers = await Promise.all([
        limiter.join(APP, 1, Date.now() + 10_000).next(),
        limiter.join(APP, 2, Date.now() + 10_000).next(),
      ]);
      close();

      // Assess
      expect(answers).toEqual([unavailable, unavailable]);
    });
  });

  it('refuses a request of no call at all', () => {
    // Prepare
    const limiter = new DynamoRateLimiter({
      client: table.dynamo.documentClient,
      tableName: table.tableName,
      ceilingPerSecond: 200,
    });

    // Act / Assess
    expect(() => limiter.join(APP, 0, Date.now() + 1000)).toThrow(RangeError);
  });

  it('when closed, ends its timers and answers every call still waiting with no slot', async () => {
    // Prepare: at 1 call a second the second call waits about a second for its time.
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const limiter = new DynamoRateLimiter({
      client: table.dynamo.documentClient,
      tableName: table.tableName,
      ceilingPerSecond: 1,
    });
    const slots = limiter.join(APP, 2, Date.now() + 60_000);
    expect(await slots.next()).toEqual({ granted: true });
    const waiting = slots.next();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const whileWaiting = timers();

    // Act
    limiter.close();

    // Assess
    expect(await waiting).toMatchObject({ granted: false });
    await new Promise((resolve) => setImmediate(resolve));
    // Its wake for the second call's time and those for the calls' deadlines (a minute away) are gone.
    expect(timers()).toBeLessThanOrEqual(whileWaiting - 2);
  });

  it('when closed, tells a call asked for afterwards no slot at once, in a place taken before or after', async () => {
    // Prepare
    const limiter = new DynamoRateLimiter({
      client: table.dynamo.documentClient,
      tableName: table.tableName,
      ceilingPerSecond: 1,
    });
    const before = limiter.join(APP, 1, Date.now() + 60_000);

    // Act
    limiter.close();
    const after = limiter.join(APP, 1, Date.now() + 60_000);

    // Assess: answered, not left waiting for a timer the close has ended.
    expect(await before.next()).toMatchObject({ granted: false });
    expect(await after.next()).toMatchObject({ granted: false });
  });

  /**
   * A fleet of limiter instances on one table, each with its own clients, clock offset and record
   * of its schedule writes; `clientsOf` builds the clients.
   */
  const fleetOf = (
    count: number,
    ceiling: number,
    clock: () => number,
    options: Partial<RateLimiterOptions>,
    clientsOf: (writes: ScheduleWriteSeen[]) => DynamoDbClients,
  ) =>
    Array.from({ length: count }, (_, i) => {
      const offset = -MAX_SKEW_MS / 2 + (MAX_SKEW_MS * i) / (count - 1);
      const writes: ScheduleWriteSeen[] = [];
      const limiter = new DynamoRateLimiter({
        client: clientsOf(writes).documentClient,
        tableName: table.tableName,
        ceilingPerSecond: ceiling,
        now: () => clock() + offset,
        ...options,
      });
      return { limiter, offset, writes, started: [] as number[] };
    });
  type Fleet = ReturnType<typeof fleetOf>;

  /**
   * Drives `fleet` at three times the ceiling for `runMs`: every instance starts requests needing
   * 1–10 calls each, asked for at once as a wave of PortraitService would, each with a 500 ms
   * deadline. Records when each call started on its instance's clock (where the lattice is exact);
   * resolves to the arrivals: the true times the calls started, plus `jitter()`.
   */
  const drive = async (
    fleet: Fleet,
    ceiling: number,
    runMs: number,
    time: { now: () => number; wait: (ms: number) => Promise<void> },
    jitter: () => number,
  ): Promise<number[]> => {
    const arrivals: number[] = [];
    const requestEveryMs = (5.5 * 1000) / ((3 * ceiling) / fleet.length);
    const request = async ({ limiter, offset, started }: Fleet[number]) => {
      const calls = 1 + Math.floor(Math.random() * 10);
      const slots = limiter.join(APP, calls, time.now() + offset + 500);
      await Promise.all(
        Array.from({ length: calls }, async () => {
          if (!(await slots.next()).granted) return;
          started.push(time.now() + offset);
          arrivals.push(time.now() + jitter());
        }),
      );
      slots.close();
    };
    const requests: Array<Promise<void>> = [];
    const end = time.now() + runMs;
    await Promise.all(
      fleet.map(async (instance, i) => {
        await time.wait(1 + Math.floor((requestEveryMs * i) / fleet.length));
        while (time.now() < end) {
          requests.push(request(instance));
          await time.wait(requestEveryMs);
        }
      }),
    );
    await Promise.all(requests);
    return arrivals;
  };

  /** Arrivals vary by what the default margin leaves after the skew and the late allowance. */
  const jitterMs = DEFAULT_MARGIN_MS - MAX_SKEW_MS - DEFAULT_MARGIN_PARTS.lateMs;

  describe.each([
    { ceiling: 200, instances: 5 },
    { ceiling: 100, instances: 4 },
  ])(
    '$instances instances sharing $ceiling/s at 3× demand for 5 s of virtual time',
    ({ ceiling, instances }) => {
      it('never lets a sliding second of arrivals exceed the ceiling, and uses at least 95 % of it', async () => {
        // Prepare
        const time = new VirtualTime(START);
        const fleet = fleetOf(instances, ceiling, time.now, { sleep: time.sleep }, (writes) =>
          instanceClients(time, table.dynamo, writes),
        );

        // Act
        const arrivals = await time.run(() =>
          drive(fleet, ceiling, 5000, { now: time.now, wait: time.sleep }, () => Math.random() * jitterMs),
        );

        // Assess
        expect(busiestSecond(arrivals)).toBeLessThanOrEqual(ceiling);
        expect(busiestSecond(arrivals, true)).toBeLessThanOrEqual(ceiling);
        // While demand lasted: once it stops, the last requests leave some reserved times unused.
        const started = fleet.flatMap((instance) => instance.started).filter((at) => at < START + 5000);
        const busySeconds = (Math.max(...started) - Math.min(...started)) / 1000;
        expect((started.length - 1) / busySeconds).toBeGreaterThanOrEqual(0.95 * ceiling);
      });
    },
  );

  it('drops the times a slow DynamoDB answer brings back too late, and never starts a call on them', async () => {
    // Prepare: one write in eight comes back up to 40 ms late, twice the late allowance.
    const time = new VirtualTime(START);
    let answers = 0;
    const fleet = fleetOf(5, 200, time.now, { sleep: time.sleep }, (writes) => {
      const clients = instanceClients(time, table.dynamo, writes);
      interceptCommands(clients, async (_command, proceed) => {
        const output = await proceed();
        answers += 1;
        if (answers % 8 === 0) time.jump(Math.random() * 2 * DEFAULT_MARGIN_PARTS.lateMs);
        return output;
      });
      return clients;
    });

    // Act
    const arrivals = await time.run(() =>
      drive(fleet, 200, 3000, { now: time.now, wait: time.sleep }, () => Math.random() * jitterMs),
    );

    // Assess
    expect(fleet.reduce((sum, { limiter }) => sum + limiter.slotsLate, 0)).toBeGreaterThan(0);
    expect(busiestSecond(arrivals, true)).toBeLessThanOrEqual(200);
    for (const { limiter, writes, started } of fleet) {
      const { spacingUs, lateAllowanceUs } = limiter.schedule;
      const reserved = writes.flatMap(({ spanUs, nextFreeUs }) =>
        nextFreeUs === undefined ? [] : reservedTimes(nextFreeUs, spanUs / spacingUs, spacingUs),
      );
      // Every call started on a time reserved by its instance, at most the late allowance after it.
      const offTime = started.filter(
        (at) => !reserved.some((t) => t <= at * 1000 && at * 1000 - t <= lateAllowanceUs),
      );
      expect(offTime).toEqual([]);
    }
  });

  it('keeps the ceiling in real time too: 5 instances sharing 200/s at 3× demand for 3 s', async () => {
    // Prepare
    const trueNow = () => performance.timeOrigin + performance.now();
    const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
    const fleet = fleetOf(5, 200, trueNow, {}, () => table.dynamo.newClients());

    // Act
    const arrivals = await drive(fleet, 200, 3000, { now: trueNow, wait }, () => 0);

    // Assess
    // How many slots a busy machine lets through varies; the ceiling must hold however slow it is.
    expect(busiestSecond(arrivals)).toBeLessThanOrEqual(200);
    expect(arrivals.length).toBeGreaterThan(0);
  });
});
