import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UnknownAccountSearch } from '../../../shared/portrait/unknown-account-search.ts';

/**
 * Runs a search the way the service does, against a Tencent that refuses a whole call with 40003
 * whenever it holds an unknown account. Returns the calls made (the refused first one included),
 * the accounts some answered call covered, and those refused alone.
 */
function search(accounts: readonly string[], unknown: ReadonlySet<string>, maxCalls: number) {
  const calls: string[][] = [[...accounts]];
  const answered = new Set<string>();
  const refusedAlone = new Set<string>();
  const run = new UnknownAccountSearch(accounts, maxCalls);
  for (let call = run.next(); call !== undefined; call = run.next()) {
    calls.push(call);
    const refused = call.some((account) => unknown.has(account));
    if (!refused) for (const account of call) answered.add(account);
    else if (call.length === 1) refusedAlone.add(call[0] as string);
    run.record(refused ? 'refused' : 'answered');
  }
  return { calls, answered, refusedAlone, unresolved: run.unresolved() };
}

const ids = (count: number) => Array.from({ length: count }, (_, i) => `u${i}`);

/** Between 2 and 100 accounts, and which of them are unknown (at least one: the first call was refused). */
const searchArb = fc
  .integer({ min: 2, max: 100 })
  .chain((size) =>
    fc.record({
      accounts: fc.constant(ids(size)),
      unknown: fc.uniqueArray(fc.integer({ min: 0, max: size - 1 }), { minLength: 1, maxLength: size }),
    }),
  )
  .map(({ accounts, unknown }) => ({ accounts, unknown: new Set(unknown.map((i) => `u${i}`)) }));

describe('UnknownAccountSearch', () => {
  it('never spends more calls than allowed, the refused one included', () => {
    fc.assert(
      fc.property(searchArb, fc.integer({ min: 1, max: 40 }), ({ accounts, unknown }, maxCalls) => {
        const { calls } = search(accounts, unknown, maxCalls);

        expect(calls.length).toBeLessThanOrEqual(Math.max(1, maxCalls));
      }),
    );
  });

  it('accounts for every account once: answered, refused alone (unknown), or unresolved', () => {
    fc.assert(
      fc.property(searchArb, fc.integer({ min: 1, max: 40 }), ({ accounts, unknown }, maxCalls) => {
        const { answered, refusedAlone, unresolved } = search(accounts, unknown, maxCalls);

        expect([...answered, ...refusedAlone, ...unresolved].sort()).toEqual([...accounts].sort());
        for (const account of refusedAlone) expect(unknown.has(account)).toBe(true);
        for (const account of answered) expect(unknown.has(account)).toBe(false);
      }),
    );
  });

  it('resolves every account when the calls are not bounded', () => {
    fc.assert(
      fc.property(searchArb, ({ accounts, unknown }) => {
        const { refusedAlone, unresolved } = search(accounts, unknown, Number.POSITIVE_INFINITY);

        expect(unresolved).toEqual([]);
        expect(refusedAlone).toEqual(unknown);
      }),
    );
  });

  it('finds one unknown account among n with at most ⌈log2 n⌉ + 2 calls after the refused one', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 2, max: 100 })
          .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 }))),
        ([n, ghost]) => {
          const { calls, refusedAlone } = search(ids(n), new Set([`u${ghost}`]), 20);

          expect(refusedAlone).toEqual(new Set([`u${ghost}`]));
          expect(calls.length - 1).toBeLessThanOrEqual(Math.ceil(Math.log2(n)) + 2);
        },
      ),
    );
  });

  it('spends 20 calls on 100 accounts that are all unknown, and leaves the rest unresolved', () => {
    const accounts = ids(100);

    const { calls, refusedAlone, unresolved } = search(accounts, new Set(accounts), 20);

    expect(calls).toHaveLength(20);
    expect(refusedAlone.size + unresolved.length).toBe(100);
    expect(refusedAlone.size).toBeGreaterThan(0);
  });

  it('asks for each call in turn: an outcome must be recorded before the next call', () => {
    const run = new UnknownAccountSearch(['a', 'b'], 20);

    expect(run.next()).toEqual(['a']);
    expect(() => run.next()).toThrow('not recorded');
    run.record('answered');
    expect(run.next()).toEqual(['b']);
    run.record('refused');
    expect(() => run.record('refused')).toThrow('no call');
    expect(run.next()).toBeUndefined();
    expect(run.unresolved()).toEqual([]);
  });
});
