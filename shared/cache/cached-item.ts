import type { ProfileItem, ProfileValue, UserProfileItem } from '../tencent/portrait-types.ts';

/**
 * The layout of one account's cached profile, shared by the freshness rules that judge it and the
 * store that reads and writes it.
 *
 * Each tag is a top-level attribute `t_<Tag>` holding `{v?, at}` rather than an entry of one map
 * attribute: `SET t_X = :x` works whether or not the item exists, so merging fresh tags into an
 * item is one `UpdateItem`, where a nested `SET tags.X` fails until the map exists, and each tag's
 * own stamp can be part of the condition.
 */
export const TAG_PREFIX = 't_';
/** The attribute holding a cached 40003 ({@link CachedNotFound}). */
export const NOT_FOUND = 'notFound';
/** Tencent's "account does not exist": cached as not found, briefly. */
export const NOT_FOUND_CODE = 40003;

/** One cached tag: `v` is absent when Tencent returned no value for it; `at` is its stamp (epoch ms). */
export interface CachedTag {
  v?: ProfileValue;
  at: number;
}

/** A cached 40003, with Tencent's `ResultInfo`; `at` is its stamp (epoch ms). */
export interface CachedNotFound {
  at: number;
  info: string;
}

/** An item as read back: attributes by name, untrusted until checked. */
export type StoredItem = Record<string, unknown>;

/** The partition key of an account's profile item. */
export const profileKey = (sdkAppId: number, account: string): string => `p#${sdkAppId}#${account}`;

/** The attribute holding `tag`. */
export const tagAttribute = (tag: string): string => TAG_PREFIX + tag;

/** Whether `value` carries a numeric stamp `at`, as every cached tag and "not found" does. */
export const isStamped = (value: unknown): value is { at: number; [field: string]: unknown } =>
  typeof value === 'object' && value !== null && typeof (value as { at?: unknown }).at === 'number';

/**
 * Tencent's answers worth caching: values when tags were asked for, and 40003. Other per-account
 * failures are transient or the caller's, and are never cached.
 */
export const cacheableAnswers = (
  tags: readonly string[],
  items: readonly UserProfileItem[],
): UserProfileItem[] =>
  items.filter((item) => item.ResultCode === NOT_FOUND_CODE || (item.ResultCode === 0 && tags.length > 0));

/** Every requested tag stamped `at`, with its value from `profile` or none (absent). */
export function stampedTags(
  tags: readonly string[],
  profile: readonly ProfileItem[],
  at: number,
): Array<[tag: string, cached: CachedTag]> {
  const values = new Map(profile.map((item) => [item.Tag, item.Value]));
  return tags.map((tag) => [tag, values.has(tag) ? { v: values.get(tag) as ProfileValue, at } : { at }]);
}
