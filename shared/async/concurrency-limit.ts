/**
 * At most `limit` tasks running at once across every caller, the others waiting their turn in
 * the order they came: a cap shared by all the work of one process on one resource.
 */
export class ConcurrencyLimit {
  readonly #limit: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  /**
   * Runs `task` once fewer than `limit` tasks run; resolves or rejects as it does. A `signal` that
   * aborts while the task still waits for its turn rejects with the signal's reason, and the task
   * never runs: a caller past its deadline does not wait behind the others' work.
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    if (this.#running >= this.#limit) await this.#turn(signal);
    else this.#running += 1;
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running -= 1;
    }
  }

  /** Waits for a running task to hand its slot over, or for `signal` to abort the wait. */
  #turn(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#waiting.splice(this.#waiting.indexOf(handOver), 1);
        reject(signal?.reason);
      };
      const handOver = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#waiting.push(handOver);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
