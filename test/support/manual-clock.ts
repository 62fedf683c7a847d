/**
 * A clock that moves only when told: `now` and `sleep` for code that takes them as dependencies,
 * so waits and deadlines are exact and no test waits for real time.
 */
export class ManualClock {
  #nowMs: number;
  /** Every wait asked of {@link sleep}, in order. */
  readonly sleeps: number[] = [];

  /** Starts at `startMs` (epoch ms). */
  constructor(startMs = 1_800_000_000_000) {
    this.#nowMs = startMs;
  }

  readonly now = (): number => this.#nowMs;

  /** Moves the clock on by `ms`. */
  advance(ms: number): void {
    this.#nowMs += ms;
  }

  /** Resolves at once, the clock moved on by `ms`. */
  readonly sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.advance(ms);
  };
}
