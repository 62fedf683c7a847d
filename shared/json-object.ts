/** A JSON text read as an object, or why it is not one. */
export type JsonObjectResult =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; problem: 'not-json' | 'not-object' };

/** Whether `value` is a plain JSON object (not null, not a list). */
export const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads `text` as a JSON object. The parser's own message is dropped on purpose: it quotes the text
 * around the fault, which may be a secret's or a caller's, and no message built from this may echo it.
 */
export function parseJsonObject(text: string): JsonObjectResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'not-json' };
  }
  return isJsonObject(value) ? { ok: true, value } : { ok: false, problem: 'not-object' };
}
