import { describe, expect, it } from 'vitest';
import { accountsIn, CallRecord, type EmulatorCall } from '../../../infra/local/emulator/call-record.ts';
import { NOT_JSON } from '../../../infra/local/emulator/json-values.ts';

const call = (at: number, outcome: EmulatorCall['outcome'] = 0): EmulatorCall => ({
  at,
  accounts: 1,
  outcome,
});

describe('CallRecord', () => {
  it('lists calls in arrival order whatever order their outcomes are known in', () => {
    // Prepare
    const record = new CallRecord();
    const tickets = [record.arrive(), record.arrive(), record.arrive()];

    // Act
    record.record(tickets[2] as number, call(3, 'hang'));
    record.record(tickets[0] as number, call(1));
    record.record(tickets[1] as number, call(2, 60007));

    // Assess
    expect(record.calls).toEqual([call(1), call(2, 60007), call(3, 'hang')]);
  });

  it('forgets recorded calls on clear, but records a call that was in flight', () => {
    // Prepare
    const record = new CallRecord();
    record.record(record.arrive(), call(1));
    const inFlight = record.arrive();

    // Act
    record.clear();
    record.record(record.arrive(), call(3));
    record.record(inFlight, call(2));

    // Assess
    expect(record.calls).toEqual([call(2), call(3)]);
  });
});

describe('accountsIn', () => {
  it.each<[string, unknown, number]>([
    ['a list of accounts', { To_Account: ['a', 'b', ''] }, 3],
    ['an empty list', { To_Account: [] }, 0],
    ['a single account as a string', { To_Account: 'alice' }, 0],
    ['no To_Account', { TagList: [] }, 0],
    ['a JSON list', [['a']], 0],
    ['a body that is not JSON', NOT_JSON, 0],
  ])('counts %s as %i', (_case, request, accounts) => {
    expect(accountsIn(request)).toBe(accounts);
  });
});
