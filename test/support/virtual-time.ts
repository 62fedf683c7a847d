import type { DynamoDbClients } from '../../shared/dynamodb-client.ts';
import { interceptCommands } from './dynalite.ts';

/**
 * Virtual time for code on real dynalite: `now` and `sleep` for the code under test. Time jumps to
 * the next sleeper's wake-up only once no DynamoDB call of the {@link VirtualTime.hold held}
 * clients is in flight and every woken task has settled, so a run does not depend on how fast
 * this machine is, while DynamoDB's answers still interleave for real.
 */
export class VirtualTime {
  #ms: number;
  #inFlight = 0;
  #sleepers: Array<{ at: number; wake: () => void }> = [];

  /** Starts at `startMs` (epoch ms). */
  constructor(startMs: number) {
    this.#ms = startMs;
  }

  readonly now = (): number => this.#ms;

  /** Resolves once virtual time has moved on by `ms`. */
  readonly sleep = (ms: number): Promise<void> =>
    new Promise<void>((wake) => {
      this.#sleepers.push({ at: this.#ms + ms, wake });
    });

  /** Moves time on at once, e.g. while a DynamoDB call is in flight: the call comes back that late. */
  jump(ms: number): void {
    this.#ms += ms;
  }

  /** Counts the calls of `clients` as work in flight, during which time stands still. */
  hold(clients: DynamoDbClients): DynamoDbClients {
    interceptCommands(clients, async (_command, proceed) => {
      this.#inFlight += 1;
      try {
        return await proceed();
      } finally {
        this.#inFlight -= 1;
      }
    });
    return clients;
  }

  /** Runs `body`, moving time from one wake-up to the next until it settles. */
  async run<T>(body: () => Promise<T>): Promise<T> {
    let done = false;
    const result = body().finally(() => {
      done = true;
    });
    while (!done) {
      await this.#settle();
      if (done || this.#sleepers.length === 0) break;
      let next = Number.POSITIVE_INFINITY;
      for (const sleeper of this.#sleepers) next = Math.min(next, sleeper.at);
      this.#ms = Math.max(this.#ms, next);
      const due = this.#sleepers.filter((sleeper) => sleeper.at <= this.#ms);
      this.#sleepers = this.#sleepers.filter((sleeper) => sleeper.at > this.#ms);
      for (const sleeper of due) sleeper.wake();
    }
    return result;
  }

  async #settle(): Promise<void> {
    for (let quietTurns = 0; quietTurns < 3; ) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      quietTurns = this.#inFlight > 0 ? 0 : quietTurns + 1;
    }
  }
}
