import { describe, expect, it } from 'vitest';
import { InvocationTimeoutError } from '../../../shared/errors.ts';
import { awaitFlights, SingleFlight } from '../../../shared/portrait/single-flight.ts';

const APP = 1_400_000_000;
const item = (account: string) => ({ To_Account: account, ProfileItem: [], ResultCode: 0, ResultInfo: '' });
const SHARE = { join: true, share: true };

describe('SingleFlight', () => {
  it('lets a later claim wait for the answer the first one leads for', async () => {
    const flights = new SingleFlight();
    const first = flights.claim(APP, ['A', 'B'], ['alice', 'bob'], SHARE);

    const second = flights.claim(APP, ['B', 'A'], ['bob', 'carol'], SHARE);
    first.lead.answer(item('bob'));

    expect(first.lead.accounts).toEqual(['alice', 'bob']);
    expect(second.lead.accounts).toEqual(['carol']);
    expect(await second.joined.get('bob')).toEqual({ item: item('bob') });
  });

  it('keeps apps and tag sets apart', () => {
    const flights = new SingleFlight();
    flights.claim(APP, ['A'], ['alice'], SHARE);

    expect(flights.claim(APP + 1, ['A'], ['alice'], SHARE).joined.size).toBe(0);
    expect(flights.claim(APP, ['A', 'B'], ['alice'], SHARE).joined.size).toBe(0);
  });

  it('ends unanswered flights with the failure and forgets them at once; answered ones once released', async () => {
    const flights = new SingleFlight();
    const { lead } = flights.claim(APP, ['A'], ['alice', 'bob'], SHARE);
    const waiting = flights.claim(APP, ['A'], ['alice', 'bob'], SHARE).joined;
    const failure = new Error('Tencent failed');

    lead.answer(item('alice'));
    lead.end(failure);

    expect(await waiting.get('bob')).toEqual({ error: failure });
    expect(flights.size).toBe(1);
    lead.release();
    expect(flights.size).toBe(0);
  });

  it('ends an unanswered flight with no answer when the fetch succeeded', async () => {
    const flights = new SingleFlight();
    const { lead } = flights.claim(APP, ['A'], ['alice'], SHARE);
    const waiting = flights.claim(APP, ['A'], ['alice'], SHARE).joined;

    lead.end(undefined);

    expect(await waiting.get('alice')).toEqual({ item: undefined });
  });

  it('registers nothing it does not share, and joins nothing it may not', () => {
    const flights = new SingleFlight();
    flights.claim(APP, ['A'], ['alice'], { join: true, share: false });
    const own = flights.claim(APP, ['A'], ['bob'], SHARE);

    const revalidating = flights.claim(APP, ['A'], ['bob'], { join: false, share: true });

    expect(flights.size).toBe(1);
    expect(revalidating.joined.size).toBe(0);
    revalidating.lead.release();
    expect(flights.size).toBe(1);
    own.lead.release();
    expect(flights.size).toBe(0);
  });
});

describe('awaitFlights', () => {
  it('waits no longer than the deadline: a flight still in progress then fails with a timeout', async () => {
    const flights = new SingleFlight();
    flights.claim(APP, ['A'], ['alice'], SHARE);
    const { joined } = flights.claim(APP, ['A'], ['alice'], SHARE);

    const outcome = await awaitFlights(joined, Date.now() + 20, Date.now);

    expect(outcome.answers.size).toBe(0);
    expect(outcome.error).toBeInstanceOf(InvocationTimeoutError);
  });
});
