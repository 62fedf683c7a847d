import { describe, expect, it } from 'vitest';
import { EmulatorConfigError } from '../../../infra/local/emulator/emulator-config-error.ts';
import { checkFaults, FaultSchedule, type Faults } from '../../../infra/local/emulator/faults.ts';

const BAD_GATEWAY: Faults = { httpStatus: 502 };

/** How many of the next `calls` calls get the faults. */
const faultedCalls = (schedule: FaultSchedule, calls: number): number =>
  Array.from({ length: calls }, () => schedule.take()).filter((faults) => faults !== undefined).length;

describe('checkFaults', () => {
  it('accepts every fault at once', () => {
    // Prepare
    const faults: Faults = {
      latencyMs: 0,
      hang: false,
      httpStatus: 599,
      reset: false,
      malformedJson: true,
      failAccounts: { alice: 40006 },
      forceCode: 70001,
      unknownFailsCall: true,
      times: 1,
    };

    // Act / Assess
    expect(checkFaults(faults)).toEqual(faults);
  });

  it('reads {} as no faults', () => {
    expect(checkFaults({})).toBeUndefined();
  });

  it.each<[string, unknown, string]>([
    ['null', null, 'faults must be a JSON object'],
    ['a list', [], 'faults must be a JSON object'],
    ['an unknown fault', { slow: true }, 'faults.slow is not a known fault'],
    ['an inherited name', { toString: 1 }, 'faults.toString is not a known fault'],
    ['a negative latency', { latencyMs: -1 }, 'faults.latencyMs'],
    ['a fractional latency', { latencyMs: 1.5 }, 'faults.latencyMs'],
    ['hang as a string', { hang: 'yes' }, 'faults.hang'],
    ['unknownFailsCall as a number', { unknownFailsCall: 1 }, 'faults.unknownFailsCall'],
    ['an HTTP status under 200', { httpStatus: 199 }, 'faults.httpStatus'],
    ['an HTTP status over 599', { httpStatus: 600 }, 'faults.httpStatus'],
    ['reset as a number', { reset: 1 }, 'faults.reset'],
    ['malformedJson as null', { malformedJson: null }, 'faults.malformedJson'],
    ['failAccounts as a list', { failAccounts: [40006] }, 'faults.failAccounts'],
    ['a per-account code of 0', { failAccounts: { alice: 0 } }, 'faults.failAccounts'],
    ['a forced code of 0', { forceCode: 0 }, 'faults.forceCode'],
    ['times 0', { times: 0 }, 'faults.times'],
  ])('refuses %s', (_case, faults, message) => {
    // Act / Assess
    expect(() => checkFaults(faults)).toThrow(EmulatorConfigError);
    expect(() => checkFaults(faults)).toThrow(message);
  });
});

describe('FaultSchedule', () => {
  it.each([1, 2, 5])('with times %i, faults exactly that many calls', (times) => {
    // Prepare
    const schedule = new FaultSchedule();
    schedule.set({ ...BAD_GATEWAY, times });

    // Act / Assess
    expect(faultedCalls(schedule, 10)).toBe(times);
  });

  it('without times, faults every call until cleared', () => {
    // Prepare
    const schedule = new FaultSchedule();
    schedule.set(BAD_GATEWAY);

    // Act
    const before = faultedCalls(schedule, 50);
    schedule.clear();
    const after = faultedCalls(schedule, 5);

    // Assess
    expect([before, after]).toEqual([50, 0]);
  });

  it('starts counting again when faults are set again', () => {
    // Prepare
    const schedule = new FaultSchedule();
    schedule.set({ ...BAD_GATEWAY, times: 3 });
    schedule.take();

    // Act
    schedule.set({ forceCode: 70001, times: 2 });

    // Assess
    expect(schedule.take()).toEqual({ forceCode: 70001, times: 2 });
    expect(faultedCalls(schedule, 5)).toBe(1);
  });

  it('clears with {}', () => {
    // Prepare
    const schedule = new FaultSchedule();
    schedule.set(BAD_GATEWAY);

    // Act
    schedule.set({});

    // Assess
    expect(schedule.take()).toBeUndefined();
  });

  it('keeps the faults in force when refusing new ones', () => {
    // Prepare
    const schedule = new FaultSchedule();
    schedule.set({ ...BAD_GATEWAY, times: 2 });

    // Act
    const act = () => schedule.set({ times: 0 });

    // Assess
    expect(act).toThrow(EmulatorConfigError);
    expect(faultedCalls(schedule, 5)).toBe(2);
  });
});
