import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventTimeProblem } from '../../../shared/callback/event-time.ts';
import { DEFAULT_MAX_CLOCK_SKEW_SECONDS } from '../../../shared/tencent/callback-signature.ts';

const NOW_MS = 1_800_000_000_000;
const NOW_S = NOW_MS / 1000;
const SKEW_MS = DEFAULT_MAX_CLOCK_SKEW_SECONDS * 1000;

describe('eventTimeProblem', () => {
  describe.each([
    { case: 'the moment of the call', eventTimeMs: NOW_MS, requestTimeSeconds: NOW_S, problem: undefined },
    {
      case: 'a minute ahead of the gateway clock (the allowed skew)',
      eventTimeMs: NOW_MS + SKEW_MS,
      requestTimeSeconds: NOW_S,
      problem: undefined,
    },
    {
      case: 'a minute and 1 ms ahead of the gateway clock',
      eventTimeMs: NOW_MS + SKEW_MS + 1,
      requestTimeSeconds: NOW_S + 30,
      problem: 'event-time-ahead-of-clock',
    },
    {
      case: 'a year ahead',
      eventTimeMs: NOW_MS + 365 * 86_400_000,
      requestTimeSeconds: NOW_S,
      problem: 'event-time-ahead-of-clock',
    },
    {
      case: 'half a minute ahead, from a call signed 50 s ago',
      eventTimeMs: NOW_MS + 30_000,
      requestTimeSeconds: NOW_S - 50,
      problem: 'event-time-after-request',
    },
    {
      case: 'a day before the call (a late delivery)',
      eventTimeMs: NOW_MS - 86_400_000,
      requestTimeSeconds: NOW_S,
      problem: undefined,
    },
  ])('an EventTime $case', ({ eventTimeMs, requestTimeSeconds, problem }) => {
    it(problem === undefined ? 'is believed' : `is refused: ${problem}`, () => {
      // Act
      const found = eventTimeProblem(eventTimeMs, { requestTimeSeconds, nowMs: NOW_MS });

      // Assess
      expect(found).toBe(problem);
    });
  });

  it('believes an EventTime exactly when it is within the skew of both the clock and RequestTime', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -3 * SKEW_MS, max: 3 * SKEW_MS }),
        fc.integer({ min: -DEFAULT_MAX_CLOCK_SKEW_SECONDS, max: DEFAULT_MAX_CLOCK_SKEW_SECONDS }),
        (eventOffsetMs, requestOffsetSeconds) => {
          // Prepare
          const eventTimeMs = NOW_MS + eventOffsetMs;
          const requestTimeSeconds = NOW_S + requestOffsetSeconds;
          const limit = Math.min(NOW_MS, requestTimeSeconds * 1000) + SKEW_MS;

          // Act
          const problem = eventTimeProblem(eventTimeMs, { requestTimeSeconds, nowMs: NOW_MS });

          // Assess
          expect(problem === undefined).toBe(eventTimeMs <= limit);
        },
      ),
    );
  });
});
