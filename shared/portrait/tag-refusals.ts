import { TencentApiError } from '../errors.ts';
import { isStandardTag } from '../tencent/profile-tags.ts';

/** Tencent's refusals that concern the tag list, not the accounts: no permission (40007), no such tag (40009). */
const TAG_REFUSAL_CODES: ReadonlySet<number> = new Set([40007, 40009]);

/**
 * Whether Tencent can mean a refusal of `tags` with `code`: a 40007 or 40009 for a list holding a
 * custom tag or one outside Tencent's standard list. The twelve standard tags always exist and the
 * app admin may read them, so refusing those alone is Tencent's transient error, and is retried
 * as one ({@link asTransient}).
 */
export const refusesTags = (code: number, tags: readonly string[]): boolean =>
  TAG_REFUSAL_CODES.has(code) && tags.some((tag) => !isStandardTag(tag));

/**
 * `error` as Tencent's transient failure when it refuses standard tags only (see
 * {@link refusesTags}), so the code table's retries apply and it is never remembered; else `error`.
 */
export function asTransient(error: unknown, tags: readonly string[]): unknown {
  if (
    !(error instanceof TencentApiError) ||
    !TAG_REFUSAL_CODES.has(error.code) ||
    refusesTags(error.code, tags)
  )
    return error;
  return new TencentApiError(error.code, error.errorInfo, { cause: error, disposition: 'retry' });
}

/**
 * Tencent's refusals of a tag list, remembered briefly per app, so that a caller repeating a bad tag
 * costs one upstream call a minute instead of one call slot per request. A tag added in Tencent's
 * console is thus usable after at most `ttlMs`. Only lists that can be refused are remembered
 * ({@link refusesTags}).
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

  /** Remembers `error` when it is a refusal of the tag list ({@link refusesTags}); other errors are ignored. */
  remember(sdkAppId: number, tags: readonly string[], error: unknown, nowMs: number): void {
    if (!(error instanceof TencentApiError) || !refusesTags(error.code, tags)) return;
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
