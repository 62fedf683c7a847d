/** One target of the load, e.g. one gateway process, with the most requests it may have in flight. */
export interface LoadTarget<T> {
  maxInFlight: number;
  send: (index: number) => Promise<T>;
}

export interface OpenLoopPlan<T> {
  /** Requests started per second, whatever the targets answer (open loop: demand does not slow down). */
  ratePerSecond: number;
  durationMs: number;
  /** Requests go to the targets in turn. */
  targets: readonly LoadTarget<T>[];
}

export interface OpenLoopResult<T> {
  /** When the first request was due, epoch ms. */
  startedAt: number;
  /** Requests started, and those not started because their target was at `maxInFlight` (shed, like a throttled Lambda). */
  started: number;
  shed: number;
  outcomes: T[];
  /** Requests that threw (connection errors). */
  failures: number;
  /** Milliseconds from each start to its answer. */
  latenciesMs: number[];
}

const TICK_MS = 2;

/**
 * Starts `ratePerSecond` requests per second for `durationMs` across the targets in turn (a
 * request due while its target is full is shed, not queued), then waits for the last answer.
 * Bounded in count (rate × duration) and in time (the requests' own timeouts).
 */
export async function openLoop<T>(plan: OpenLoopPlan<T>): Promise<OpenLoopResult<T>> {
  const result: OpenLoopResult<T> = {
    startedAt: Date.now(),
    started: 0,
    shed: 0,
    outcomes: [],
    failures: 0,
    latenciesMs: [],
  };
  const inFlight = plan.targets.map(() => 0);
  const pending = new Set<Promise<void>>();
  const total = Math.floor((plan.ratePerSecond * plan.durationMs) / 1000);
  const origin = performance.now();
  let due = 0;
  while (due < total) {
    const elapsed = performance.now() - origin;
    const dueNow = Math.min(total, Math.floor((elapsed * plan.ratePerSecond) / 1000) + 1);
    for (; due < dueNow; due++) {
      const slot = due % plan.targets.length;
      const target = plan.targets[slot] as LoadTarget<T>;
      if ((inFlight[slot] as number) >= target.maxInFlight) {
        result.shed += 1;
        continue;
      }
      inFlight[slot] = (inFlight[slot] as number) + 1;
      result.started += 1;
      const sentAt = performance.now();
      const request = target
        .send(due)
        .then(
          (outcome) => {
            result.outcomes.push(outcome);
            result.latenciesMs.push(performance.now() - sentAt);
          },
          () => {
            result.failures += 1;
          },
        )
        .finally(() => {
          inFlight[slot] = (inFlight[slot] as number) - 1;
          pending.delete(request);
        });
      pending.add(request);
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await Promise.all(pending);
  return result;
}
