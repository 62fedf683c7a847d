import { describe, expect, it } from 'vitest';
import { LogThrottle } from '../../../shared/callback/log-throttle.ts';

const MINUTE = 60_000;

describe('LogThrottle', () => {
  describe.each([
    { case: 'the first event of a key', events: [0], lines: [[0, 1]] },
    { case: 'events within the minute', events: [0, 1_000, 30_000, 59_999], lines: [[0, 1]] },
    {
      case: 'an event once the minute is over',
      events: [0, 1_000, 30_000, 59_999, 60_000],
      lines: [
        [0, 1],
        [60_000, 4],
      ],
    },
    {
      case: 'a steady alert every second for three minutes',
      events: Array.from({ length: 180 }, (_, i) => i * 1_000),
      lines: [
        [0, 1],
        [60_000, 60],
        [120_000, 60],
      ],
    },
    {
      case: 'an alert after a quiet hour',
      events: [0, 3_600_000],
      lines: [
        [0, 1],
        [3_600_000, 1],
      ],
    },
  ])('$case', ({ events, lines }) => {
    it('lets through one line a minute, each with the events it stands for', () => {
      // Prepare
      const throttle = new LogThrottle(MINUTE);

      // Act
      const admitted = events.flatMap((at) => {
        const count = throttle.admit('openim/batchsendmsg', at);
        return count === undefined ? [] : [[at, count]];
      });

      // Assess
      expect(admitted).toEqual(lines);
    });
  });

  it('keeps the minute of each key apart', () => {
    // Prepare
    const throttle = new LogThrottle(MINUTE);

    // Act
    const lines = [
      throttle.admit('openim/batchsendmsg', 0),
      throttle.admit('profile/portrait_get', 10),
      throttle.admit('openim/batchsendmsg', 20),
    ];

    // Assess
    expect(lines).toEqual([1, 1, undefined]);
  });

  it('forgets the key logged longest ago past its key limit, so made-up keys cannot grow it', () => {
    // Prepare
    const throttle = new LogThrottle(MINUTE, 2);
    throttle.admit('a', 0);
    throttle.admit('b', 1);

    // Act
    throttle.admit('c', 2);
    const forgotten = throttle.admit('a', 3);
    const kept = throttle.admit('c', 4);

    // Assess
    expect(forgotten).toBe(1);
    expect(kept).toBeUndefined();
  });
});
