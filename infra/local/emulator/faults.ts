import { STATUS_CODES } from 'node:http';
import { EmulatorConfigError } from './emulator-config-error.ts';
import { isJsonObject, isWholeNumber } from './json-values.ts';

/**
 * Failures to inject. When several are set, the first of reset, hang, httpStatus, malformedJson,
 * forceCode wins and replaces every check; `latencyMs` delays whatever is answered; `failAccounts`
 * applies to calls that are otherwise answered normally.
 */
export interface Faults {
  /** Delay before answering. */
  latencyMs?: number;
  /** Never answer (the socket stays open until the client gives up or the emulator closes). */
  hang?: boolean;
  /** Answer this HTTP status with an HTML body, as a proxy in front of Tencent would (e.g. 502). */
  httpStatus?: number;
  /** Reset the connection (TCP RST) after the request arrived. */
  reset?: boolean;
  /** Answer HTTP 200 with a truncated JSON body. */
  malformedJson?: boolean;
  /** Per-account ResultCode for these accounts (e.g. 40006), the call itself succeeding. */
  failAccounts?: Record<string, number>;
  /** Answer the whole call `ActionStatus: FAIL` with this code (e.g. 60007, 70001). */
  forceCode?: number;
  /**
   * Answer a call that holds an account without a profile `ActionStatus: FAIL` with 40003, instead
   * of that account's per-account 40003: Tencent's docs do not say which it does.
   */
  unknownFailsCall?: boolean;
  /** Apply to the next N calls to a /v4 path only (each call uses one up). Default: until cleared. */
  times?: number;
}

const isBoolean = (value: unknown): boolean => typeof value === 'boolean';

const FAULT_CHECKS: Readonly<Record<keyof Faults, (value: unknown) => boolean>> = {
  latencyMs: (value) => isWholeNumber(value, 0),
  hang: isBoolean,
  httpStatus: (value) => isWholeNumber(value, 200) && value <= 599,
  reset: isBoolean,
  malformedJson: isBoolean,
  failAccounts: (value) =>
    isJsonObject(value) && Object.values(value).every((code) => isWholeNumber(code, 1)),
  forceCode: (value) => isWholeNumber(value, 1),
  unknownFailsCall: isBoolean,
  times: (value) => isWholeNumber(value, 1),
};

/**
 * Checks a Faults object that may come from JSON; undefined means "no faults" (`{}`).
 * Throws {@link EmulatorConfigError} naming the first unknown or invalid field.
 */
export function checkFaults(faults: unknown): Faults | undefined {
  if (!isJsonObject(faults)) throw new EmulatorConfigError('faults must be a JSON object');
  for (const [key, value] of Object.entries(faults)) {
    const check = Object.hasOwn(FAULT_CHECKS, key) ? FAULT_CHECKS[key as keyof Faults] : undefined;
    if (check === undefined) throw new EmulatorConfigError(`faults.${key} is not a known fault`);
    if (!check(value)) throw new EmulatorConfigError(`faults.${key} has an invalid value`);
  }
  return Object.keys(faults).length === 0 ? undefined : (faults as Faults);
}

/** The faults in force and how many more /v4 calls they apply to. */
export class FaultSchedule {
  #faults: Faults | undefined;
  #callsLeft: number | undefined;

  /** Applies `faults` to the next calls (all of them unless `times` is set); `{}` clears. */
  set(faults: unknown): void {
    this.#faults = checkFaults(faults);
    this.#callsLeft = this.#faults?.times;
  }

  clear(): void {
    this.#faults = undefined;
    this.#callsLeft = undefined;
  }

  /** The faults for the call arriving now, using one of their `times`. */
  take(): Faults | undefined {
    const faults = this.#faults;
    if (this.#callsLeft !== undefined && --this.#callsLeft <= 0) this.clear();
    return faults;
  }
}

/** What a reply cut off mid-way looks like (the `malformedJson` fault). */
export const TRUNCATED_REPLY = '{"UserProfileItem":[{"To_Account":"';

/** The HTML error page a proxy in front of Tencent answers (the `httpStatus` fault). */
export const proxyErrorPage = (status: number): string => {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
};
