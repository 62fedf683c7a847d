import { DEFAULT_MAX_CLOCK_SKEW_SECONDS } from '../tencent/callback-signature.ts';

/** Why a profile change's `EventTime` cannot be believed. */
export type EventTimeProblem =
  /** Later than the gateway's clock plus the allowed skew. */
  | 'event-time-ahead-of-clock'
  /** Later than the call's `RequestTime` plus the allowed skew: Tencent sends a change after it happens. */
  | 'event-time-after-request';

export interface EventTimeBounds {
  /** The call's signed `RequestTime`, Unix seconds. */
  requestTimeSeconds: number;
  /** The gateway's clock, epoch ms. */
  nowMs: number;
  /** Default {@link DEFAULT_MAX_CLOCK_SKEW_SECONDS}, the allowance of the `RequestTime` check. */
  maxSkewSeconds?: number;
}

/**
 * Checks a `Profile.CallbackPortraitSet`'s `EventTime` (epoch ms), which Tencent's signature does
 * not cover: undefined when it is believable. A stamp in the future would count as fresh for as
 * long as it stays ahead, and no fetch could replace it, so only that side is bounded. An old
 * stamp cannot pin anything (it replaces only values older still, and ages out sooner), and Tencent
 * may deliver late, so how far back `EventTime` lies is not checked.
 */
export function eventTimeProblem(eventTimeMs: number, bounds: EventTimeBounds): EventTimeProblem | undefined {
  const { requestTimeSeconds, nowMs, maxSkewSeconds = DEFAULT_MAX_CLOCK_SKEW_SECONDS } = bounds;
  const skewMs = maxSkewSeconds * 1000;
  if (eventTimeMs > nowMs + skewMs) return 'event-time-ahead-of-clock';
  if (eventTimeMs > requestTimeSeconds * 1000 + skewMs) return 'event-time-after-request';
  return undefined;
}
