/** Code for an account the search left unresolved: Tencent's "internal error", retry later; never cached. */
export const UNRESOLVED_CODE = 70500;
/** Why such an account failed, for its `ResultInfo`. */
export const UNRESOLVED_INFO =
  'Tencent refused a call holding this account with 40003, and the unknown accounts of that call could not all be isolated within the calls allowed; retry, or ask for this account alone';

/**
 * Bounded isolation of unknown accounts (docs/cache.md, "Unknown accounts"). Whether Tencent fails
 * a whole call with 40003 when one of its accounts does not exist is undocumented; if it does, the
 * unknown accounts must be found before the others can be answered, and finding them must not
 * spend the ceiling: halving every refused call until each account stands alone cost 199 calls for
 * 100 unknown accounts.
 *
 * The search keeps the accounts known to hold an unknown one (the suspects) and those not asked
 * yet (the pool). It asks for the first half of the suspects: answered, the unknown one is in the
 * other half, which becomes the suspects without a call; refused, that half becomes the suspects
 * and the other half joins the pool. A lone suspect is asked for alone, since only a call of that
 * account alone says it does not exist. Once no account is suspect, the pool is asked in one call.
 * So one unknown account among 100 costs at most ⌈log₂ 100⌉ + 2 calls after the refused one, and
 * the whole search at most `maxCalls`; what is left unanswered then is reported, never cached.
 */
export class UnknownAccountSearch {
  #callsLeft: number;
  #suspects: string[];
  #pool: string[] = [];
  #asked: string[] | undefined;

  /** `refused`: the accounts of a call Tencent refused whole with 40003; `maxCalls` counts that call. */
  constructor(refused: readonly string[], maxCalls: number) {
    this.#suspects = [...refused];
    this.#callsLeft = maxCalls - 1;
  }

  /**
   * The accounts of the next call, or undefined when the search is over: nothing is suspect or
   * unasked, or the calls are spent. Each call's outcome must be told to {@link record} first.
   */
  next(): string[] | undefined {
    if (this.#asked !== undefined) throw new Error('the outcome of the last call was not recorded');
    if (this.#callsLeft <= 0) return undefined;
    const suspects = this.#suspects.length;
    const call = suspects > 0 ? this.#suspects.slice(0, Math.ceil(suspects / 2)) : this.#pool;
    if (call.length === 0) return undefined;
    this.#callsLeft -= 1;
    this.#asked = call;
    return call;
  }

  /** How the call {@link next} gave was answered: `answered` (ActionStatus OK) or `refused` (a whole-call 40003). */
  record(outcome: 'answered' | 'refused'): void {
    const asked = this.#asked;
    if (asked === undefined) throw new Error('no call is waiting for its outcome');
    this.#asked = undefined;
    if (this.#suspects.length === 0) {
      this.#pool = [];
      if (outcome === 'refused' && asked.length > 1) this.#suspects = asked;
      return;
    }
    const rest = this.#suspects.slice(asked.length);
    if (outcome === 'answered') {
      this.#suspects = rest;
      return;
    }
    this.#suspects = asked.length > 1 ? asked : [];
    this.#pool.push(...rest);
  }

  /** The accounts neither answered nor refused alone: what the search leaves when it is over. */
  unresolved(): string[] {
    return [...this.#suspects, ...this.#pool];
  }
}
