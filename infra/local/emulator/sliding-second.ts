/** Tencent's ceiling counts calls over any sliding second. */
const WINDOW_MS = 1000;
/** Dropped arrivals kept before the list is compacted; compacting only past half keeps it amortised O(1). */
const COMPACT_AFTER = 4096;

/**
 * The sliding-second ceiling: admits a call when fewer than `limit` calls were admitted with arrival
 * in (t − 1000 ms, t]. Only admitted calls count, so a refused client is served again as soon as the
 * second slides on. Arrival times of admitted calls are kept oldest first: each is pushed once and
 * dropped once, so a check is amortised O(1). Times must never go back.
 */
export class SlidingSecond {
  readonly #limit: number;
  #times: number[] = [];
  #head = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Admits a call arriving `at` (ms) when fewer than the limit were admitted in (at − 1000, at]. */
  tryAdmit(at: number): boolean {
    while ((this.#times[this.#head] ?? Number.POSITIVE_INFINITY) <= at - WINDOW_MS) this.#head++;
    if (this.#times.length - this.#head >= this.#limit) return false;
    this.#times.push(at);
    if (this.#head > COMPACT_AFTER && this.#head * 2 > this.#times.length) {
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
    return true;
  }
}
