/**
 * Lets one log line per key through per interval and counts the events it held back, so an alert
 * that repeats for as long as a condition lasts (Tencent's `Alert.RequestOverLimit` near a ceiling)
 * shows as one line a minute with its count instead of a line per event. Keys are few (one per API);
 * past `maxKeys` the one logged longest ago is forgotten, so a flood of made-up keys stays bounded.
 */
export class LogThrottle {
  readonly #intervalMs: number;
  readonly #maxKeys: number;
  /** Per key: when its last line went out, and the events held back since. */
  readonly #keys = new Map<string, { loggedAtMs: number; events: number }>();

  constructor(intervalMs = 60_000, maxKeys = 256) {
    this.#intervalMs = intervalMs;
    this.#maxKeys = maxKeys;
  }

  /**
   * Notes one event of `key` at `nowMs`. When a line is due (the key's first event, or the first
   * once `intervalMs` passed since its last line) answers how many events that line stands for: this
   * one and those held back since the last line. Otherwise undefined.
   */
  admit(key: string, nowMs: number): number | undefined {
    const seen = this.#keys.get(key);
    if (seen !== undefined && nowMs - seen.loggedAtMs < this.#intervalMs) {
      seen.events += 1;
      return undefined;
    }
    const events = (seen?.events ?? 0) + 1;
    this.#keys.delete(key);
    this.#keys.set(key, { loggedAtMs: nowMs, events: 0 });
    if (this.#keys.size > this.#maxKeys) this.#keys.delete(this.#keys.keys().next().value as string);
    return events;
  }
}
