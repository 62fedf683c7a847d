/** Checks on values decoded from JSON, shared by the emulator's judge, faults, profiles and hooks. */

export { isJsonObject } from '../../../shared/json-object.ts';

export const UINT32_MAX = 4_294_967_295;

/** What {@link parseJson} answers for an empty, absent or unparsable body. */
export const NOT_JSON = Symbol('not JSON');

/** The decoded body, or {@link NOT_JSON}. */
export function parseJson(text: string | undefined): unknown {
  if (text === undefined || text === '') return NOT_JSON;
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

export const isUint32 = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= UINT32_MAX;

/** An integer of at least `min`. */
export const isWholeNumber = (value: unknown, min: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min;
