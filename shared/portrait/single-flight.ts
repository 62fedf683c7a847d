import { setTimeout as sleep } from 'node:timers/promises';
import { InvocationTimeoutError } from '../errors.ts';
import type { UserProfileItem } from '../tencent/portrait-types.ts';

/** How one account's fetch ended: Tencent's answer (none when its reply left the account out), or why it failed. */
export type FlightOutcome = { item: UserProfileItem | undefined } | { error: unknown };

interface Flight {
  readonly outcome: Promise<FlightOutcome>;
  settle(outcome: FlightOutcome): void;
  settled: boolean;
}

function newFlight(): Flight {
  const { promise, resolve } = Promise.withResolvers<FlightOutcome>();
  const flight: Flight = {
    outcome: promise,
    settled: false,
    settle: (outcome) => {
      flight.settled = true;
      resolve(outcome);
    },
  };
  return flight;
}

/** How a request takes part in the flights of its accounts. */
export interface ClaimOptions {
  /** Wait for a flight already in progress rather than lead one's own. */
  join: boolean;
  /** Let later requests wait for the flights this one leads. */
  share: boolean;
}

/** A request's share of the flights: the accounts it waits for, and those it fetches itself. */
export interface Claim {
  /** Flights of other requests this one waits for, by account. */
  joined: Map<string, Promise<FlightOutcome>>;
  lead: Lead;
}

/**
 * Single flight (docs/cache.md, "Single flight"): while one request of this process fetches an
 * account for a set of tags, a concurrent request that misses the same account for the same tags
 * waits for that answer instead of spending a call of its own. A flight is keyed by SDKAppID, the
 * set of tags (in any order) and the account; it is forgotten once its leader has stored the answer
 * (so a request that read the cache before that store still finds it), or at once when it failed.
 */
export class SingleFlight {
  readonly #flights = new Map<string, Flight>();

  /** How many flights are in progress or waiting for their store. */
  get size(): number {
    return this.#flights.size;
  }

  /**
   * Joins the flights in progress for `accounts` (when `join`), and leads the others: those are
   * registered for later requests to join (when `share`) unless a flight is already in progress.
   */
  claim(
    sdkAppId: number,
    tags: readonly string[],
    accounts: readonly string[],
    options: ClaimOptions,
  ): Claim {
    const tagKey = [...new Set(tags)].sort().join(',');
    const keyOf = (account: string) => `${sdkAppId}\n${tagKey}\n${account}`;
    const joined = new Map<string, Promise<FlightOutcome>>();
    const led = new Map<string, { key: string; flight: Flight; registered: boolean }>();
    for (const account of accounts) {
      const key = keyOf(account);
      const existing = this.#flights.get(key);
      if (existing !== undefined && options.join) {
        joined.set(account, existing.outcome);
        continue;
      }
      const flight = newFlight();
      const registered = options.share && existing === undefined;
      if (registered) this.#flights.set(key, flight);
      led.set(account, { key, flight, registered });
    }
    return { joined, lead: new Lead(this.#flights, led) };
  }
}

/** The flights one request leads: it settles each as its answer arrives, and forgets them when done. */
export class Lead {
  readonly #flights: Map<string, Flight>;
  readonly #led: Map<string, { key: string; flight: Flight; registered: boolean }>;

  constructor(
    flights: Map<string, Flight>,
    led: Map<string, { key: string; flight: Flight; registered: boolean }>,
  ) {
    this.#flights = flights;
    this.#led = led;
  }

  /** The accounts this request fetches itself, in request order. */
  get accounts(): string[] {
    return [...this.#led.keys()];
  }

  /** Tencent's final answer for one led account: its waiters get it at once. */
  answer(item: UserProfileItem): void {
    this.#led.get(item.To_Account)?.flight.settle({ item });
  }

  /**
   * The fetch is over: flights still unsettled end with `error`, or with no answer when there was
   * none (Tencent's reply left the account out). Failed flights are forgotten at once, so the next
   * request tries again.
   */
  end(error: unknown): void {
    for (const [account, led] of this.#led) {
      if (led.flight.settled) continue;
      led.flight.settle(error === undefined ? { item: undefined } : { error });
      if (error !== undefined) this.#forget(account);
    }
  }

  /** Forgets every flight of this request: its answers are stored, or will not be. */
  release(): void {
    for (const account of this.#led.keys()) this.#forget(account);
  }

  #forget(account: string): void {
    const led = this.#led.get(account);
    if (led?.registered && this.#flights.get(led.key) === led.flight) this.#flights.delete(led.key);
  }
}

/**
 * The outcomes of other requests' flights, waited for until `deadlineMs` at most: a flight still
 * in progress then fails this request's accounts with {@link InvocationTimeoutError}.
 */
export async function awaitFlights(
  joined: ReadonlyMap<string, Promise<FlightOutcome>>,
  deadlineMs: number,
  now: () => number,
): Promise<{ answers: Map<string, UserProfileItem>; error?: unknown }> {
  const answers = new Map<string, UserProfileItem>();
  if (joined.size === 0) return { answers };
  const timer = new AbortController();
  const timedOut = sleep(Math.max(0, deadlineMs - now()), undefined, { signal: timer.signal }).then(
    (): FlightOutcome => ({ error: new InvocationTimeoutError() }),
    (): FlightOutcome => ({ error: new InvocationTimeoutError() }),
  );
  try {
    let error: unknown;
    for (const [account, flight] of joined) {
      const outcome = await Promise.race([flight, timedOut]);
      if ('error' in outcome) error ??= outcome.error;
      else if (outcome.item !== undefined) answers.set(account, outcome.item);
    }
    return { answers, ...(error !== undefined && { error }) };
  } finally {
    timer.abort();
  }
}
