/**
 * The clauses of the profile store's conditional `UpdateItem`s: the freshness rules of
 * `freshness.ts` in DynamoDB's condition syntax, over expression placeholders. Every stamp clause
 * refers to {@link STAMP_FIELD} and {@link LATEST_BELIEVED}, which the store binds once per
 * expression with {@link stampPlaceholders}.
 */

/** Placeholder of a stamp's field `at`. */
export const STAMP_FIELD = '#at';
/** Placeholder of the latest stamp believed now (`believableUntil`); a later one may be replaced. */
export const LATEST_BELIEVED = ':ahead';

/** The names and values of every stamp clause, for a write while stamps up to `latestBelievedMs` count. */
export const stampPlaceholders = (latestBelievedMs: number) => ({
  names: { [STAMP_FIELD]: 'at' },
  values: { [LATEST_BELIEVED]: latestBelievedMs },
});

/** The item exists (`key`: the partition key's placeholder): webhook changes create no item. */
export const itemExists = (key: string): string => `attribute_exists(${key})`;

/**
 * `attribute` is absent, stamped no later than `at`, or stamped beyond belief: a write stamped
 * `at` may replace it (`replaceableBy` in `freshness.ts`). A fetch replaces an equal stamp: it
 * comes from the same knowledge.
 */
export const absentOrNotNewer = (attribute: string, at: string): string =>
  `(attribute_not_exists(${attribute}) OR ${stampOf(attribute)} <= ${at} OR ${unbelievable(attribute)})`;

/**
 * `attribute` is absent, stamped before `at`, or stamped beyond belief: a webhook event at `at`
 * may replace it, and a replayed event (an equal stamp) changes nothing.
 */
export const absentOrOlder = (attribute: string, at: string): string =>
  `(attribute_not_exists(${attribute}) OR ${stampOf(attribute)} < ${at} OR ${unbelievable(attribute)})`;

/** `attribute` is present and stamped before `at`, or beyond belief: there is an older value to remove. */
export const presentAndOlder = (attribute: string, at: string): string =>
  `(${stampOf(attribute)} < ${at} OR ${unbelievable(attribute)})`;

/** Every clause holds. */
export const allOf = (...clauses: readonly string[]): string => clauses.join(' AND ');

const stampOf = (attribute: string): string => `${attribute}.${STAMP_FIELD}`;
const unbelievable = (attribute: string): string => `${stampOf(attribute)} > ${LATEST_BELIEVED}`;
