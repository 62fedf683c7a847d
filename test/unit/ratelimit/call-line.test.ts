import { describe, expect, it } from 'vitest';
import type { Slot } from '../../../shared/portrait/ports.ts';
import { type Ask, CallLine, type LineTuning, type Place } from '../../../shared/ratelimit/call-line.ts';
import { callSchedule } from '../../../shared/ratelimit/call-schedule.ts';

/** 2 calls a second with the default margin: T = 525 001 µs, late allowance 20 ms. */
const schedule = callSchedule(2);
const T = schedule.spacingUs;
const LATE = schedule.lateAllowanceUs;
const NOW = 1_800_000_000_000_000;
const MS = 1000;
const SECOND = 1_000_000;
const tuning: LineTuning = {
  leadUs: 5 * MS,
  slackUs: 10 * MS,
  extrapolationCapUs: 50 * MS,
  maxSlotsPerWrite: 10,
};

/** A line, and asks that record what they were answered. */
function lineOf(options: Partial<LineTuning> = {}) {
  const line = new CallLine(schedule, { ...tuning, ...options });
  const answers = new Map<Ask, Slot>();
  const join = (calls: number, deadlineUs: number, nowUs = NOW) => {
    const place = line.join(calls, deadlineUs, nowUs);
    if ('retryAfterMs' in place) throw new Error(`refused: ${place.retryAfterMs} ms`);
    return place;
  };
  const ask = (place: Place, times = 1) =>
    Array.from({ length: times }, () => {
      const asked: Ask = { place, resolve: (slot) => answers.set(asked, slot) };
      line.ask(asked);
      return asked;
    });
  /** Plans a write and takes its answer: the shared time was at `nextFreeUs` (or nowhere). */
  const reserve = (nowUs: number, nextFreeBeforeUs?: number) => {
    const plan = line.plan(nowUs);
    if (plan === undefined) throw new Error('nothing to reserve');
    const startUs = plan.catchUp ? plan.fromUs : (nextFreeBeforeUs as number);
    line.learn(plan, { reserved: true, nextFreeUs: startUs + plan.count * T }, nowUs, nowUs);
    return plan;
  };
  /** A refused write, answered after `tookUs`, told that the shared time stood at `nextFreeUs`. */
  const seen = (nextFreeUs: number | undefined, nowUs = NOW, tookUs = 0) =>
    line.learn(
      { count: 1, catchUp: false, fromUs: nowUs, lastUs: nowUs },
      { reserved: false, nextFreeUs },
      nowUs - tookUs,
      nowUs,
    );
  return { line, join, ask, reserve, seen, answers };
}

/** A line holding `times` reserved times, from now + 5 ms T apart, whose request left before the first. */
function lineLeftWith(times: number) {
  const built = lineOf();
  const gone = built.join(times, NOW + 10 * SECOND);
  built.ask(gone, times);
  built.reserve(NOW);
  built.line.leave(gone);
  return built;
}

describe('CallLine admission', () => {
  it('admits a request whose calls all fit before its deadline behind the line ahead', () => {
    // Prepare: 3 calls ahead take the slots at now + 5 ms + 0, T, 2T.
    const { line, join } = lineOf();
    join(3, NOW + 10 * SECOND);

    // Act: 2 more calls end at 5 ms + 4T (2.1 s), with 10 ms to spare.
    const fits = line.join(2, NOW + 5 * MS + 4 * T + 10 * MS, NOW);
    const tooLate = line.join(2, NOW + 5 * MS + 4 * T + 10 * MS - 1, NOW);

    // Assess: refused before spending a slot, told when the line ahead (now 5 calls) is through.
    expect(fits).toMatchObject({ remaining: 2 });
    expect(tooLate).toEqual({ retryAfterMs: Math.ceil((5 * MS + 5 * T) / MS) });
  });

  it('refuses a request whose deadline has passed, or comes before the first slot could', () => {
    const { line } = lineOf();

    expect(line.join(1, NOW - 1, NOW)).toEqual({ retryAfterMs: 5 });
    expect(line.join(1, NOW + 14 * MS, NOW)).toEqual({ retryAfterMs: 5 });
    expect(line.join(1, NOW + 15 * MS, NOW)).toMatchObject({ remaining: 1 });
  });

  it('counts the times it already holds, and the shared time as it moves on since it was seen', () => {
    // Prepare: one reserved slot at now + 5 ms; the shared time then stood at now + 5 ms + T.
    const { line, join, ask, reserve } = lineOf();
    ask(join(1, NOW + 10 * SECOND));
    reserve(NOW);
    line.settle(NOW + 5 * MS);

    // Act: 20 ms later the shared time is assumed 20 ms further on, 50 ms at most.
    const after20 = line.join(1, NOW + 10 * SECOND, NOW + 20 * MS);
    const retry20 = line.retryAfterMs(NOW + 20 * MS);
    const after400 = line.retryAfterMs(NOW + 400 * MS);

    // Assess: the first request is served; a third would come T after the second, which comes
    // where the shared time is expected to stand.
    expect(after20).toMatchObject({ remaining: 1 });
    expect(retry20).toBe(Math.ceil((5 * MS + T + 20 * MS + T - 20 * MS) / MS));
    expect(after400).toBe(Math.ceil((5 * MS + T + 50 * MS + T - 400 * MS) / MS));
  });

  it('counts a request’s retries beyond its announcement while they wait, its announcement once they expire', () => {
    // Prepare: a request of 1 call asks 3 times (its retries ask anew).
    const { line, join, ask } = lineOf();
    ask(join(1, NOW + SECOND), 3);

    // Act
    const whileWaiting = line.retryAfterMs(NOW);
    line.settle(NOW + SECOND + 1);
    const afterExpiry = line.retryAfterMs(NOW + SECOND + 1);

    // Assess: a newcomer comes after 3 calls, then after the 1 still announced.
    expect(whileWaiting).toBe(Math.ceil((5 * MS + 3 * T) / MS));
    expect(afterExpiry).toBe(Math.ceil((5 * MS + T) / MS));
  });

  it('counts the calls a request has still to make once some are granted', () => {
    // Prepare: a request of 3 calls gets its first.
    const { line, join, ask, reserve } = lineOf();
    ask(join(3, NOW + 10 * SECOND));
    reserve(NOW);
    line.settle(NOW + 5 * MS);

    // Act
    const retry = line.retryAfterMs(NOW + 5 * MS);

    // Assess: a newcomer comes after its 2 other calls, from the shared time as expected 5 ms on.
    expect(retry).toBe(Math.ceil((5 * MS + 3 * T) / MS));
  });

  it('serves a newcomer first on the times a departed request left behind', () => {
    // Prepare: a request reserves 3 times and leaves before the first.
    const { line, join, ask } = lineLeftWith(3);

    // Act: 4 ms later, a newcomer that must start within 11 ms.
    const retry = line.retryAfterMs(NOW + 4 * MS);
    const [asked] = ask(join(1, NOW + 15 * MS, NOW + 4 * MS));
    const settled = line.settle(NOW + 5 * MS);

    // Assess: the earliest held time, 1 ms from then, is its: a held time does not move on with the
    // shared time's assumed drift (4 ms since it was seen).
    expect(retry).toBe(1);
    expect(settled.granted).toEqual([asked]);
  });
});

describe('CallLine reservations', () => {
  it('catches up to now plus the lead when the shared time is unknown or behind', () => {
    const { line, join, ask } = lineOf();
    ask(join(2, NOW + 10 * SECOND), 2);

    expect(line.plan(NOW)).toEqual({ count: 2, catchUp: true, fromUs: NOW + 5 * MS, lastUs: NOW + 5 * MS });
  });

  it('advances from the shared time while it is ahead, no later than every slot still fits its ask', () => {
    // Prepare: the shared time stood at now + 1 s when last seen, just now.
    const { line, join, ask, reserve, seen } = lineOf();
    ask(join(1, NOW + 10 * SECOND));
    reserve(NOW);
    seen(NOW + SECOND);
    ask(join(1, NOW + 3 * SECOND));
    ask(join(1, NOW + 5 * SECOND));

    // Act
    const plan = line.plan(NOW);

    // Assess: the first new slot must start by 3 s, the second (T later) by 5 s. A shared time down
    // to 15 ms behind now is still taken: the answer brings its slot back 15 ms late, within 20 ms.
    expect(plan).toEqual({ count: 2, catchUp: false, fromUs: NOW - 15 * MS, lastUs: NOW + 3 * SECOND });
  });

  describe.each([
    { behindUs: 15 * MS, plan: { catchUp: false, fromUs: NOW - 15 * MS, lastUs: NOW + 10 * SECOND } },
    { behindUs: 15 * MS + 1, plan: { catchUp: true, fromUs: NOW + 5 * MS, lastUs: NOW + 5 * MS } },
  ])('with the shared time $behindUs µs behind now', ({ behindUs, plan }) => {
    it(
      plan.catchUp
        ? 'catches up: its first slot would come back too late'
        : 'advances from it: down to lead − allowance behind, its slot comes back in time',
      () => {
        // Prepare
        const { line, join, ask, seen } = lineOf();
        ask(join(1, NOW + 10 * SECOND));
        seen(NOW - behindUs);

        // Act
        const planned = line.plan(NOW);

        // Assess
        expect(planned).toEqual({ count: 1, ...plan });
      },
    );
  });

  describe.each([
    { spareUs: -1, plan: { count: 2, lastUs: NOW + 10 * SECOND - T } },
    { spareUs: 0, plan: { count: 3, lastUs: NOW + SECOND } },
  ])('with the second request due $spareUs µs from the second new slot', ({ spareUs, plan }) => {
    it(
      plan.count === 2
        ? 'skips it: the third ask takes that slot'
        : 'takes it, and no later start than it fits',
      () => {
        // Prepare: three requests of 1 call; the shared time stands 1 s ahead.
        const { line, join, ask, seen } = lineOf();
        ask(join(1, NOW + 10 * SECOND));
        ask(join(1, NOW + SECOND + T + spareUs));
        ask(join(1, NOW + 10 * SECOND));
        seen(NOW + SECOND);

        // Act
        const planned = line.plan(NOW);

        // Assess: the new slots come at 1 s, 1 s + T (and 1 s + 2 T). Every one still meets its ask
        // from a shared time up to 10 s − T when the third request holds the second slot, up to 1 s
        // when the second request does.
        expect(planned).toEqual({ catchUp: false, fromUs: NOW - 15 * MS, ...plan });
      },
    );
  });

  it('puts a catch-up a write’s round trip ahead once writes come back slowly', () => {
    // Prepare: writes have taken 40 ms each, twice the late allowance.
    const { line, join, ask, seen } = lineOf();
    for (let i = 0; i < 20; i += 1) seen(undefined, NOW, 40 * MS);
    ask(join(1, NOW + 10 * SECOND));

    // Act
    const plan = line.plan(NOW);

    // Assess: 40 ms less half the allowance: a usual answer is back 10 ms after the first time.
    expect(plan?.catchUp).toBe(true);
    expect(plan?.fromUs).toBeGreaterThan(NOW + 29 * MS);
    expect(plan?.fromUs).toBeLessThanOrEqual(NOW + 30 * MS);
  });

  it('skips an ask no new slot can meet, and plans nothing when none can', () => {
    // Prepare: a request that must start by 1 s and a later one by 10 s, both admitted; then the
    // shared time is found at now + 2 s.
    const { line, join, ask, seen } = lineOf();
    ask(join(1, NOW + SECOND));
    ask(join(1, NOW + 10 * SECOND));
    seen(NOW + 2 * SECOND);

    // Act
    const plan = line.plan(NOW);
    seen(NOW + 20 * SECOND);
    const afterAll = line.plan(NOW);

    // Assess
    expect(plan).toEqual({ count: 1, catchUp: false, fromUs: NOW - 15 * MS, lastUs: NOW + 10 * SECOND });
    expect(afterAll).toBeUndefined();
  });

  it('takes at most maxSlotsPerWrite, and at least the schedule’s k', () => {
    const few = lineOf({ maxSlotsPerWrite: 3 });
    few.ask(few.join(5, NOW + 10 * SECOND), 5);
    const many = new CallLine(callSchedule(1000), tuning);
    const place = many.join(1, NOW + 10 * SECOND, NOW) as Place;
    many.ask({ place, resolve: () => {} });

    expect(few.line.plan(NOW)?.count).toBe(3);
    expect(many.plan(NOW)?.count).toBe(4);
  });
});

describe('CallLine settlement', () => {
  it('grants each reserved time when it comes, to the earliest request waiting', () => {
    // Prepare: the first request asks once, a later one twice; 3 slots are reserved for them.
    const { line, join, ask, reserve, answers } = lineOf();
    const first = join(3, NOW + 10 * SECOND);
    const later = join(2, NOW + 10 * SECOND);
    const [firstAsk] = ask(first);
    const laterAsks = ask(later, 2);
    reserve(NOW);

    // Act: the first call starts; the first request then asks for its next two, after the later one did.
    const atFirst = line.settle(NOW + 5 * MS);
    const firstMore = ask(first, 2);
    const atSecond = line.settle(NOW + 5 * MS + T);
    const atThird = line.settle(NOW + 5 * MS + 2 * T);

    // Assess
    expect(atFirst.granted).toEqual([firstAsk]);
    expect(atSecond.granted).toEqual([firstMore[0]]);
    expect(atThird.granted).toEqual([firstMore[1]]);
    expect(laterAsks.map((asked) => answers.has(asked))).toEqual([false, false]);
    expect(atThird.wakeAtUs).toBe(NOW + 10 * SECOND + 1);
  });

  it('says when to look again: at the next reserved time', () => {
    const { line, join, ask, reserve } = lineOf();
    ask(join(2, NOW + 10 * SECOND), 2);
    reserve(NOW);

    expect(line.settle(NOW).wakeAtUs).toBe(NOW + 5 * MS);
    expect(line.settle(NOW + 5 * MS).wakeAtUs).toBe(NOW + 5 * MS + T);
  });

  it('answers an ask past its deadline with no slot', () => {
    const { line, join, ask } = lineOf();
    const [asked] = ask(join(1, NOW + SECOND));

    expect(line.settle(NOW + SECOND).expired).toEqual([]);
    expect(line.settle(NOW + SECOND + 1).expired).toEqual([asked]);
    expect(line.plan(NOW + SECOND + 1)).toBeUndefined();
  });

  describe.each([
    { lateUs: LATE, used: true },
    { lateUs: LATE + 1, used: false },
  ])('a reserved time $lateUs µs past', ({ lateUs, used }) => {
    it(used ? 'is still granted' : 'is dropped, never granted, and asked for anew', () => {
      // Prepare
      const { line, join, ask, reserve } = lineOf();
      const [asked] = ask(join(1, NOW + 10 * SECOND));
      reserve(NOW);

      // Act
      const settled = line.settle(NOW + 5 * MS + lateUs);

      // Assess
      expect(settled.granted).toEqual(used ? [asked] : []);
      expect(settled.late).toBe(used ? 0 : 1);
      expect(line.plan(NOW + 5 * MS + lateUs) !== undefined).toBe(!used);
    });
  });

  it('answers an expired ask once and gives its slot to the next, even one due at that very moment', () => {
    // Prepare: two requests of 1 call; the first must start by 15 ms, the second by 15 ms + T, each
    // a slot of its own: 5 ms and 5 ms + T.
    const { line, join, ask, reserve } = lineOf();
    const [first] = ask(join(1, NOW + 15 * MS));
    const [second] = ask(join(1, NOW + 15 * MS + T));
    reserve(NOW);

    // Act: the line looks again only at the second one's deadline.
    const settled = line.settle(NOW + 15 * MS + T);
    const after = line.settle(NOW + 15 * MS + T + 1);

    // Assess: the first time passed while a call waited (late); the second goes to the second request.
    expect(settled).toMatchObject({ granted: [second], expired: [first], late: 1, unused: 0 });
    expect(after).toMatchObject({ granted: [], expired: [], wakeAtUs: undefined });
  });

  it('drops a time nobody asked for once it is too late: unused, not late', () => {
    // Prepare: a request reserves a slot and leaves before it comes.
    const { line } = lineLeftWith(1);

    // Act
    const settled = line.settle(NOW + 5 * MS + LATE + 1);

    // Assess
    expect(settled).toEqual({ granted: [], expired: [], late: 0, unused: 1, wakeAtUs: undefined });
  });

  it('keeps a due time nobody asked for until it is too late, for whoever asks by then', () => {
    // Prepare: a request reserves a slot and leaves before it comes.
    const { line, join, ask } = lineLeftWith(1);

    // Act
    const unasked = line.settle(NOW + 5 * MS);
    const [asked] = ask(join(1, NOW + 10 * SECOND, NOW + 10 * MS));
    const taken = line.settle(NOW + 10 * MS);

    // Assess
    expect(unasked).toMatchObject({ granted: [], late: 0, unused: 0, wakeAtUs: NOW + 5 * MS + LATE + 1 });
    expect(taken.granted).toEqual([asked]);
  });

  it('hands the asks no held time covers back when the schedule fails, latest comers first to go', () => {
    const { line, join, ask, reserve } = lineOf();
    const held = ask(join(1, NOW + 10 * SECOND));
    reserve(NOW);
    const uncovered = ask(join(2, NOW + 10 * SECOND), 2);

    expect(line.uncovered()).toEqual(uncovered);
    expect(line.plan(NOW)).toBeUndefined();
    expect(line.retryAfterMs(NOW)).toBe(Math.ceil((5 * MS + 3 * T) / MS));
    expect(line.settle(NOW + 5 * MS).granted).toEqual(held);
  });

  it('forgets a request that left: its asks come back, and the next request is not counted behind it', () => {
    const { line, join, ask } = lineOf();
    const gone = join(5, NOW + 10 * SECOND);
    const asks = ask(gone, 2);

    expect(line.leave(gone)).toEqual(asks);
    expect(line.retryAfterMs(NOW)).toBe(5);
  });

  it('hands back only the asks of the request that left, and serves the others', () => {
    // Prepare: two requests, one call each, a slot each.
    const { line, join, ask, reserve } = lineOf();
    const gone = join(1, NOW + 10 * SECOND);
    const [goneAsk] = ask(gone);
    const [stays] = ask(join(1, NOW + 10 * SECOND));
    reserve(NOW);

    // Act
    const left = line.leave(gone);
    const settled = line.settle(NOW + 5 * MS);

    // Assess: the first time goes to the request still in line.
    expect(left).toEqual([goneAsk]);
    expect(settled.granted).toEqual([stays]);
  });

  it('hands back every ask when it closes, and counts nothing ahead afterwards', () => {
    // Prepare: two requests with three slots reserved; the shared time is then 5 ms + 3T ahead.
    const { line, join, ask, reserve } = lineOf();
    const asks = [...ask(join(2, NOW + 10 * SECOND), 2), ...ask(join(1, NOW + 10 * SECOND))];
    reserve(NOW);

    // Act
    const left = line.leaveAll();
    const retry = line.retryAfterMs(NOW);
    ask(join(1, NOW + 10 * SECOND));
    const plan = line.plan(NOW);

    // Assess: the times it held are gone with them; a newcomer starts from the shared time.
    expect(left).toEqual(asks);
    expect(retry).toBe(Math.ceil((5 * MS + 3 * T) / MS));
    expect(plan).toEqual({ count: 1, catchUp: false, fromUs: NOW - 15 * MS, lastUs: NOW + 10 * SECOND });
  });
});
