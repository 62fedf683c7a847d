import type { RateLimiter, SlotGrant } from '../../shared/portrait/ports.ts';

/** No slot: the ceiling is reached until `retryAfterMs` from now. */
export const denied = (retryAfterMs: number): SlotGrant => ({ granted: 0, retryAfterMs });
/** No slot: the shared counter could not be reached (the real limiter fails closed so), back in `retryAfterMs`. */
export const unavailable = (retryAfterMs: number): SlotGrant => ({
  granted: 0,
  retryAfterMs,
  unavailable: true,
});
/** At most `slots` of what is asked for. */
export const granted = (slots: number): SlotGrant => ({ granted: slots });

/** One `acquire` as it was asked. */
export interface SlotAsk {
  sdkAppId: number;
  wanted: number;
  deadlineMs: number;
}

export interface ScriptedRateLimiterOptions {
  /** Epoch ms: the same clock as the code under test. */
  now: () => number;
  /** `retryAfterMs` of an ask whose deadline has passed: the time to the next window. Default 50. */
  windowMs?: number;
}

/**
 * A rate limiter that answers from a script: each `acquire` takes the next scripted grant (never
 * more than asked for), and grants in full once the script is used up. Like the real one it grants
 * nothing to an ask whose deadline has passed, without using the script. Records every ask.
 */
export class ScriptedRateLimiter implements RateLimiter {
  readonly asks: SlotAsk[] = [];
  /** Slots handed out in all. */
  slotsGranted = 0;
  readonly #script: SlotGrant[] = [];
  readonly #now: () => number;
  readonly #windowMs: number;

  constructor(options: ScriptedRateLimiterOptions) {
    this.#now = options.now;
    this.#windowMs = options.windowMs ?? 50;
  }

  /** Appends `grants` to the script. */
  script(...grants: SlotGrant[]): this {
    this.#script.push(...grants);
    return this;
  }

  async acquire(sdkAppId: number, wanted: number, deadlineMs: number): Promise<SlotGrant> {
    this.asks.push({ sdkAppId, wanted, deadlineMs });
    if (this.#now() >= deadlineMs) return denied(this.#windowMs);
    const grant = this.#script.shift() ?? granted(wanted);
    if (grant.granted === 0) return grant;
    const slots = Math.min(grant.granted, wanted);
    this.slotsGranted += slots;
    return granted(slots);
  }
}
