import { TencentApiError } from '../errors.ts';

/** Tencent's refusals that concern the tag list, not the accounts: no permission (40007), no such tag (40009). */
const TAG_REFUSAL_CODES: ReadonlySet<number> = new Set([40007, 40009]);

/**
 * Tencent's refusals of a tag list, remembered briefly per app, so that a caller repeating a bad tag
 * costs one upstream call a minute instead of one call slot per request. A tag added in Tencent's
 * console is thus usable after at most `ttlMs`.
 */
export class TagRefusals {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #refused = new Map<string, { error: TencentApiError; untilMs: number }>();

  /** Defaults: remembered 60 s, at most 1000 tag lists (the oldest forgotten first). */
  constructor(ttlMs = 60_000, maxEntries = 1000) {
    this.#ttlMs = ttlMs;
    this.#maxEntries = maxEntries;
  }

  /** The refusal Tencent gave this app's tag list within the last `ttlMs`, if any. */
  check(sdkAppId: number, tags: readonly string[], nowMs: number): TencentApiError | undefined {
    const key = keyOf(sdkAppId, tags);
    const entry = this.#refused.get(key);
    if (entry === undefined) return undefined;
    if (entry.untilMs > nowMs) return entry.error;
    this.#refused.delete(key);
    return undefined;
  }

  /** Remembers `error` when it is a refusal of the tag list; other errors are ignored. */
  remember(sdkAppId: number, tags: readonly string[], error: unknown, nowMs: number): void {
    if (!(error instanceof TencentApiError) || !TAG_REFUSAL_CODES.has(error.code)) return;
    const key = keyOf(sdkAppId, tags);
    this.#refused.delete(key);
    this.#refused.set(key, { error, untilMs: nowMs + this.#ttlMs });
    if (this.#refused.size > this.#maxEntries) {
      const oldest = this.#refused.keys().next().value;
      if (oldest !== undefined) this.#refused.delete(oldest);
    }
  }
}

const keyOf = (sdkAppId: number, tags: readonly string[]): string =>
  `${sdkAppId}#${[...tags].sort().join(',')}`;
