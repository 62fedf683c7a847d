import type { CallSlots, RateLimiter, Slot } from '../../shared/portrait/ports.ts';

/** No slot: the ceiling is reached until `retryAfterMs` from now. */
export const denied = (retryAfterMs: number): Slot => ({ granted: false, retryAfterMs });
/** No slot: the shared schedule could not be reached (the real limiter fails closed so), back in `retryAfterMs`. */
export const unavailable = (retryAfterMs: number): Slot => ({
  granted: false,
  retryAfterMs,
  unavailable: true,
});
/** A slot: the call may start. */
export const granted: Slot = { granted: true };

/** One request's place in line, as it was asked for. */
export interface JoinedLine {
  sdkAppId: number;
  calls: number;
  deadlineMs: number;
  /** The request left the line (`close`). */
  closed: boolean;
}

export interface ScriptedRateLimiterOptions {
  /** Epoch ms: the same clock as the code under test. */
  now: () => number;
  /** `retryAfterMs` of an ask whose deadline has passed. Default 50. */
  refusedRetryAfterMs?: number;
}

/**
 * A rate limiter that answers from a script: each `next()` of any line takes the next scripted
 * slot, and grants once the script is used up. Like the real one it grants nothing to an ask whose
 * deadline has passed, without using the script. Records every line and when each slot was asked for.
 */
export class ScriptedRateLimiter implements RateLimiter {
  readonly lines: JoinedLine[] = [];
  /** The clock's reading at each `next()`, in order. */
  readonly askedAt: number[] = [];
  /** Slots handed out in all. */
  slotsGranted = 0;
  readonly #script: Slot[] = [];
  readonly #now: () => number;
  readonly #refusedRetryAfterMs: number;

  constructor(options: ScriptedRateLimiterOptions) {
    this.#now = options.now;
    this.#refusedRetryAfterMs = options.refusedRetryAfterMs ?? 50;
  }

  /** Appends `slots` to the script. */
  script(...slots: Slot[]): this {
    this.#script.push(...slots);
    return this;
  }

  join(sdkAppId: number, calls: number, deadlineMs: number): CallSlots {
    const line: JoinedLine = { sdkAppId, calls, deadlineMs, closed: false };
    this.lines.push(line);
    return {
      next: async () => {
        this.askedAt.push(this.#now());
        if (this.#now() >= deadlineMs) return denied(this.#refusedRetryAfterMs);
        const slot = this.#script.shift() ?? granted;
        if (slot.granted) this.slotsGranted += 1;
        return slot;
      },
      close: () => {
        line.closed = true;
      },
    };
  }
}
