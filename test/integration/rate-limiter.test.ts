import { describe, expect, it } from 'vitest';
import type { SlotGrant } from '../../shared/portrait/ports.ts';
import {
  DynamoRateLimiter,
  FAIL_CLOSED_RETRY_MS,
  type RateLimiterOptions,
  rateWindowKey,
} from '../../shared/ratelimit/dynamo-rate-limiter.ts';
import { DEFAULT_MARGIN_MS, DEFAULT_MARGIN_PARTS } from '../../shared/ratelimit/window-budget.ts';
import {
  dynaliteTablePerTest,
  interceptCommands,
  loopbackClients,
  type RunningDynalite,
} from '../support/dynalite.ts';
import { closedLoopbackOrigin } from '../support/loopback-http.ts';
import { busiestSecond } from '../support/sliding-second.ts';

const APP = 1_400_000_002;
/** A window edge on every clock used below: window starts are multiples of w. */
const EDGE = 1_800_000_000_000;
/** The fleets' clocks spread over this much, within the margin's skew share. */
const MAX_SKEW_MS = 10;

/** One conditional ADD as dynalite saw it. */
interface CounterWrite {
  key: string;
  slots: number;
  /** The counter after the write, or undefined when the condition refused it. */
  counterAfter: number | undefined;
  /** Order in which writes were sent and answered, across all instances. */
  sentAt: number;
  answeredAt: number;
}

let sequence = 0;

/** Fresh clients (one instance's own connection pool) whose counter writes are recorded. */
const recordedClients = (dynamo: RunningDynalite) => {
  const clients = dynamo.newClients();
  const writes: CounterWrite[] = [];
  interceptCommands(clients, async (command, proceed) => {
    if (command.name !== 'UpdateItemCommand') return proceed();
    const write: CounterWrite = {
      key: String((command.input.Key as { pk: string }).pk),
      slots: Number((command.input.ExpressionAttributeValues as Record<string, number>)[':k']),
      counterAfter: undefined,
      sentAt: sequence++,
      answeredAt: Number.POSITIVE_INFINITY,
    };
    writes.push(write);
    try {
      const output = await proceed();
      write.counterAfter = Number((output.Attributes as { n: number }).n);
      return output;
    } finally {
      write.answeredAt = sequence++;
    }
  });
  return { clients, writes };
};

/** A clock that only moves when told to, or when the limiter sleeps. */
const manualClock = (start: number) => {
  const clock = {
    ms: start,
    now: () => clock.ms,
    sleep: async (ms: number) => {
      clock.ms += ms;
    },
  };
  return clock;
};

/**
 * Virtual time for a fleet of limiters on real dynalite. Time jumps to the next sleeper's wake-up
 * only once no DynamoDB call is in flight and every woken task has settled, so a run does not
 * depend on how fast this machine is, while DynamoDB's answers still interleave for real.
 */
const virtualTime = (start: number) => {
  let ms = start;
  const tracked: CounterWrite[][] = [];
  let sleepers: Array<{ at: number; wake: () => void }> = [];
  const inFlight = () => tracked.some((writes) => writes.some((write) => write.answeredAt === Infinity));
  const settle = async () => {
    for (let quietTurns = 0; quietTurns < 3; ) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      quietTurns = inFlight() ? 0 : quietTurns + 1;
    }
  };
  const sleep = (duration: number) =>
    new Promise<void>((wake) => {
      sleepers.push({ at: ms + duration, wake });
    });
  return {
    now: () => ms,
    sleep,
    wait: sleep,
    /** Counts these writes (until answered) as work in flight. */
    track: (writes: CounterWrite[]) => tracked.push(writes),
    run: async <T>(body: () => Promise<T>): Promise<T> => {
      let done = false;
      const result = body().finally(() => {
        done = true;
      });
      while (!done) {
        await settle();
        if (done || sleepers.length === 0) break;
        ms = Math.max(ms, Math.min(...sleepers.map((sleeper) => sleeper.at)));
        const due = sleepers.filter((sleeper) => sleeper.at <= ms);
        sleepers = sleepers.filter((sleeper) => sleeper.at > ms);
        for (const sleeper of due) sleeper.wake();
      }
      return result;
    },
  };
};

describe('DynamoRateLimiter on dynalite', () => {
  const table = dynaliteTablePerTest();

  const limiterWith = (options: Partial<RateLimiterOptions>) =>
    new DynamoRateLimiter({
      client: table.dynamo.documentClient,
      tableName: table.tableName,
      ceilingPerSecond: 200,
      ...options,
    });

  describe('one window at a time (manual clocks)', () => {
    it('grants up to the window budget, then the rest in the next window once the clock gets there', async () => {
      // Prepare
      const clock = manualClock(EDGE + 10);
      const limiter = limiterWith({ now: clock.now, sleep: clock.sleep });
      const { budgetPerWindow: b, windowMs: w } = limiter.budget;

      // Act
      const first = await limiter.acquire(APP, b + 5, EDGE + 10_000);
      const second = await limiter.acquire(APP, 4, EDGE + 10_000);

      // Assess
      expect(b).toBe(9);
      expect(first).toEqual({ granted: b });
      expect(second).toEqual({ granted: 4 });
      expect(clock.ms).toBe(EDGE + w);
    });

    it('remembers a full window: no further writes to it, and no slot before the deadline', async () => {
      // Prepare
      const clock = manualClock(EDGE + 1);
      const { clients, writes } = recordedClients(table.dynamo);
      const limiter = limiterWith({ client: clients.documentClient, now: clock.now, sleep: clock.sleep });
      const { budgetPerWindow: b, windowMs: w } = limiter.budget;
      await limiter.acquire(APP, b, EDGE + 10_000);
      const writesWhenFull = writes.length;

      // Act
      clock.ms = EDGE + 20;
      const denied = await limiter.acquire(APP, 3, EDGE + w - 1);
      clock.ms = EDGE + 30;
      const deniedAgain = await limiter.acquire(APP, 1, EDGE + w);

      // Assess
      expect(denied).toEqual({ granted: 0, retryAfterMs: w - 20 });
      expect(deniedAgain).toEqual({ granted: 0, retryAfterMs: w - 30 });
      expect(writes).toHaveLength(writesWhenFull);
      expect(writesWhenFull).toBe(1);
    });

    it('learns that another instance filled the window with a few refused writes, then stops writing', async () => {
      // Prepare
      const clock = manualClock(EDGE + 5);
      const other = limiterWith({ now: clock.now, sleep: clock.sleep });
      const { clients, writes } = recordedClients(table.dynamo);
      const limiter = limiterWith({ client: clients.documentClient, now: clock.now, sleep: clock.sleep });
      const { budgetPerWindow: b, windowMs: w } = limiter.budget;
      await other.acquire(APP, b - 1, EDGE + 10_000);

      // Act
      const leftover = await limiter.acquire(APP, b, EDGE + w - 1);
      const afterFull = await limiter.acquire(APP, b, EDGE + w - 1);

      // Assess
      expect(leftover).toEqual({ granted: 1 });
      expect(afterFull).toEqual({ granted: 0, retryAfterMs: w - 5 });
      const key = rateWindowKey(APP, EDGE);
      expect(writes.every((write) => write.key === key)).toBe(true);
      // b = 9 refused, then 4, 2, 1: the last one fits; the full counter needs no further write.
      expect(writes.map((write) => [write.slots, write.counterAfter])).toEqual([
        [9, undefined],
        [4, undefined],
        [2, undefined],
        [1, b],
      ]);
    });

    it('waits for the next window while the deadline allows, else says when to come back', async () => {
      // Prepare
      const clock = manualClock(EDGE + 40);
      const limiter = limiterWith({ now: clock.now, sleep: clock.sleep });
      const { budgetPerWindow: b, windowMs: w } = limiter.budget;
      await limiter.acquire(APP, b, EDGE + 10_000);

      // Act
      const tooSoon = await limiter.acquire(APP, 2, EDGE + w);
      const waited = await limiter.acquire(APP, 2, EDGE + w + 1);

      // Assess
      expect(tooSoon).toEqual({ granted: 0, retryAfterMs: w - 40 });
      expect(waited).toEqual({ granted: 2 });
      expect(clock.ms).toBe(EDGE + w);
    });

    describe.each([
      { lateMs: DEFAULT_MARGIN_PARTS.lateGrantMs - 1, handedOut: true },
      { lateMs: DEFAULT_MARGIN_PARTS.lateGrantMs, handedOut: false },
    ])('a grant that comes back $lateMs ms after its window ended', ({ lateMs, handedOut }) => {
      it(
        handedOut ? 'is still handed out' : 'is dropped, and slots of the current window are taken',
        async () => {
          // Prepare
          const clock = manualClock(EDGE + 45);
          const { clients, writes } = recordedClients(table.dynamo);
          const limiter = limiterWith({ client: clients.documentClient, now: clock.now, sleep: clock.sleep });
          const { windowMs: w } = limiter.budget;
          let slowOnce = true;
          interceptCommands(clients, async (_command, proceed) => {
            const output = await proceed();
            if (slowOnce) clock.ms = EDGE + w + lateMs;
            slowOnce = false;
            return output;
          });

          // Act
          const grant = await limiter.acquire(APP, 3, EDGE + 10_000);

          // Assess
          expect(grant).toEqual({ granted: 3 });
          const windows = writes.map((write) => write.key);
          expect(windows).toEqual(
            handedOut ? [rateWindowKey(APP, EDGE)] : [rateWindowKey(APP, EDGE), rateWindowKey(APP, EDGE + w)],
          );
        },
      );
    });

    it('keeps apps apart: another SDKAppID has its own counter', async () => {
      // Prepare
      const clock = manualClock(EDGE);
      const limiter = limiterWith({ now: clock.now, sleep: clock.sleep });
      const { budgetPerWindow: b } = limiter.budget;
      await limiter.acquire(APP, b, EDGE + 1);

      // Act
      const grant = await limiter.acquire(APP + 1, b, EDGE + 1);

      // Assess
      expect(grant).toEqual({ granted: b });
    });

    it('fails closed when DynamoDB is unreachable, and reports it', async () => {
      // Prepare
      const down = loopbackClients(await closedLoopbackOrigin());
      const errors: unknown[] = [];
      const limiter = limiterWith({ client: down.documentClient, onError: (error) => errors.push(error) });

      // Act
      const grant = await limiter.acquire(APP, 5, Date.now() + 10_000);
      down.client.destroy();

      // Assess
      expect(grant).toEqual({ granted: 0, retryAfterMs: FAIL_CLOSED_RETRY_MS, unavailable: true });
      expect(errors).toHaveLength(1);
    });

    it('still answers every waiter when the error reporter itself throws', async () => {
      // Prepare
      const down = loopbackClients(await closedLoopbackOrigin());
      const limiter = limiterWith({
        client: down.documentClient,
        onError: () => {
          throw new Error('the logger failed');
        },
      });

      // Act
      const grants = await Promise.all([
        limiter.acquire(APP, 1, Date.now() + 10_000),
        limiter.acquire(APP, 2, Date.now() + 10_000),
      ]);
      down.client.destroy();

      // Assess
      expect(grants).toEqual([
        { granted: 0, retryAfterMs: FAIL_CLOSED_RETRY_MS, unavailable: true },
        { granted: 0, retryAfterMs: FAIL_CLOSED_RETRY_MS, unavailable: true },
      ]);
    });

    it('refuses to ask for no slot at all', async () => {
      // Prepare
      const limiter = limiterWith({});

      // Act / Assess
      await expect(limiter.acquire(APP, 0, Date.now() + 1000)).rejects.toThrow(RangeError);
    });
  });

  /** A fleet of limiter instances on one table, each with its own clients and clock offset. */
  const fleetOf = (
    count: number,
    ceiling: number,
    clock: () => number,
    options: Partial<RateLimiterOptions>,
  ) =>
    Array.from({ length: count }, (_, i) => {
      const offset = -MAX_SKEW_MS / 2 + (MAX_SKEW_MS * i) / (count - 1);
      const { clients, writes } = recordedClients(table.dynamo);
      const limiter = new DynamoRateLimiter({
        client: clients.documentClient,
        tableName: table.tableName,
        ceilingPerSecond: ceiling,
        now: () => clock() + offset,
        ...options,
      });
      return { limiter, writes, offset };
    });

  /**
   * Drives `fleet` at three times the ceiling for `runMs`: every instance starts requests needing
   * 1–10 calls each, served in waves as PortraitService does, each with a 500 ms deadline. The
   * first requests start 2 ms before a window edge, so their burst straddles it on skewed clocks.
   * Resolves to the true time of every slot handed out, plus `arrivalJitter()`.
   */
  const drive = async (
    fleet: ReturnType<typeof fleetOf>,
    ceiling: number,
    runMs: number,
    time: { now: () => number; wait: (ms: number) => Promise<void> },
    arrivalJitter: () => number = () => 0,
  ): Promise<number[]> => {
    const arrivals: number[] = [];
    const { windowMs } = fleet[0]?.limiter.budget ?? { windowMs: 1 };
    const requestEveryMs = (5.5 * 1000) / ((3 * ceiling) / fleet.length);
    const request = async (limiter: DynamoRateLimiter, offset: number) => {
      let needed = 1 + Math.floor(Math.random() * 10);
      const deadline = time.now() + offset + 500;
      while (needed > 0) {
        const grant: SlotGrant = await limiter.acquire(APP, needed, deadline);
        if (grant.granted === 0) return;
        for (let slot = 0; slot < grant.granted; slot += 1) arrivals.push(time.now() + arrivalJitter());
        needed -= grant.granted;
      }
    };
    await time.wait((((windowMs - (time.now() % windowMs) - 2) % windowMs) + windowMs) % windowMs);
    const requests: Array<Promise<void>> = [];
    const end = time.now() + runMs;
    await Promise.all(
      fleet.map(async ({ limiter, offset }, i) => {
        requests.push(request(limiter, offset), request(limiter, offset));
        await time.wait(1 + Math.floor((requestEveryMs * i) / fleet.length));
        while (time.now() < end) {
          requests.push(request(limiter, offset));
          await time.wait(requestEveryMs);
        }
      }),
    );
    await Promise.all(requests);
    return arrivals;
  };

  /** No window past its budget, and no instance wrote to a window after it had seen it full. */
  const expectWindowsKept = (fleet: ReturnType<typeof fleetOf>) => {
    const { budgetPerWindow: b } = fleet[0]?.limiter.budget ?? { budgetPerWindow: 0 };
    const counters = fleet.flatMap(({ writes }) => writes.map((write) => write.counterAfter ?? 0));
    expect(Math.max(...counters)).toBe(b);
    for (const { writes } of fleet) {
      const fullKnownAt = new Map<string, number>();
      for (const write of writes) {
        const provesFull = write.counterAfter === undefined ? write.slots === 1 : write.counterAfter >= b;
        if (provesFull)
          fullKnownAt.set(write.key, Math.min(fullKnownAt.get(write.key) ?? Infinity, write.answeredAt));
      }
      expect(writes.filter((write) => write.sentAt > (fullKnownAt.get(write.key) ?? Infinity))).toEqual([]);
    }
  };

  describe.each([
    { ceiling: 200, instances: 5 },
    { ceiling: 100, instances: 4 },
  ])(
    '$instances instances sharing $ceiling/s at 3× demand for 3 s of virtual time',
    ({ ceiling, instances }) => {
      it('never lets a sliding second of arrivals exceed the ceiling, and grants at least 85 % of it', async () => {
        // Prepare
        const time = virtualTime(EDGE - 500);
        const fleet = fleetOf(instances, ceiling, time.now, { sleep: time.sleep });
        for (const { writes } of fleet) time.track(writes);
        const jitterMs = DEFAULT_MARGIN_MS - MAX_SKEW_MS - 10;

        // Act
        const arrivals = await time.run(() =>
          drive(fleet, ceiling, 3000, time, () => Math.random() * jitterMs),
        );

        // Assess
        expect(busiestSecond(arrivals)).toBeLessThanOrEqual(ceiling);
        const busySeconds = (Math.max(...arrivals) - Math.min(...arrivals)) / 1000;
        expect(arrivals.length / busySeconds).toBeGreaterThanOrEqual(0.85 * ceiling);
        expectWindowsKept(fleet);
      });
    },
  );

  it('keeps the ceiling in real time too: 5 instances sharing 200/s at 3× demand for 3 s', async () => {
    // Prepare
    const trueNow = () => performance.timeOrigin + performance.now();
    const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
    const fleet = fleetOf(5, 200, trueNow, {});

    // Act
    const granted = await drive(fleet, 200, 3000, { now: trueNow, wait });

    // Assess
    // How many slots a busy machine lets through varies; the ceiling must hold however slow it is.
    expect(busiestSecond(granted)).toBeLessThanOrEqual(200);
    expect(granted.length).toBeGreaterThan(0);
    expectWindowsKept(fleet);
  });
});
