import { isJsonObject } from './json-values.ts';

export type CallOutcome = number | 'reset' | 'hang' | 'http-status' | 'malformed';

export interface EmulatorCall {
  /** Arrival, epoch ms with sub-ms precision. */
  at: number;
  /** Entries of `To_Account` when the body held a list, else 0. */
  accounts: number;
  /** The ErrorCode answered, or the fault that replaced the answer. */
  outcome: CallOutcome;
}

/** {@link EmulatorCall.accounts} for a decoded request body. */
export const accountsIn = (request: unknown): number =>
  isJsonObject(request) && Array.isArray(request.To_Account) ? request.To_Account.length : 0;

/**
 * Every /v4 call in arrival order. A call's outcome is known only once its body has ended, which may
 * be after later calls' bodies, so each call takes a ticket on arrival and its entry lands in ticket order.
 */
export class CallRecord {
  /** The recorded calls, in arrival order. */
  readonly calls: EmulatorCall[] = [];
  /** The ticket of each entry of {@link calls}. */
  #tickets: number[] = [];
  #arrivals = 0;

  /** A ticket for a call arriving now. */
  arrive(): number {
    return this.#arrivals++;
  }

  /** Records the call that took `ticket`, before every call that arrived after it. */
  record(ticket: number, call: EmulatorCall): void {
    let index = this.#tickets.length;
    while (index > 0 && (this.#tickets[index - 1] as number) > ticket) index--;
    this.#tickets.splice(index, 0, ticket);
    this.calls.splice(index, 0, call);
  }

  /** Forgets the recorded calls; calls still in flight are recorded when they end. */
  clear(): void {
    this.calls.length = 0;
    this.#tickets = [];
  }
}
