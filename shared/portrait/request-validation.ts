import { InvalidRequestError } from '../errors.ts';
import { isPrintableAscii, MAX_USER_ID_BYTES, TENCENT_MAX_ACCOUNTS } from '../tencent/limits.ts';
import type { PortraitGetRequest } from '../tencent/portrait-types.ts';
import {
  CUSTOM_TAG_PREFIX,
  isCustomTag,
  isStandardTag,
  STANDARD_TAG_PREFIX,
  STANDARD_TAGS,
} from '../tencent/profile-tags.ts';

/*
 * Tencent's rules for a portrait_get request (shared/tencent/), as the gateway enforces them on a
 * caller's request: each refusal names the exact entry that is wrong and echoes it, cut short.
 */
const ECHO_LIMIT = 48;

const kindOf = (value: unknown): string => {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
};

/** The caller's value, quoted and cut short, so a message shows what was sent without growing unbounded. */
const echo = (value: string): string =>
  value.length > ECHO_LIMIT ? `${JSON.stringify(value.slice(0, ECHO_LIMIT))}…` : JSON.stringify(value);

const invalid = (field: string, message: string): InvalidRequestError =>
  new InvalidRequestError(40001, field, message);

function checkUserId(value: unknown, field: string): string {
  if (typeof value !== 'string')
    throw invalid(field, `${field} must be a UserID string, got ${kindOf(value)}`);
  if (value.length === 0)
    throw invalid(field, `${field} is empty: a UserID has 1 to ${MAX_USER_ID_BYTES} characters`);
  if (!isPrintableAscii(value)) {
    const position = [...value].findIndex((char) => !isPrintableAscii(char));
    throw invalid(
      field,
      `${field} ${echo(value)} has a character outside printable ASCII at position ${position}: ` +
        'UserIDs use only characters 0x20 to 0x7E',
    );
  }
  if (value.length > MAX_USER_ID_BYTES) {
    throw invalid(
      field,
      `${field} ${echo(value)} is ${value.length} bytes; a UserID has at most ${MAX_USER_ID_BYTES}`,
    );
  }
  return value;
}

/**
 * Checks `To_Account`: a list of 1 to `maxAccounts` (default {@link TENCENT_MAX_ACCOUNTS}) UserIDs.
 * Throws {@link InvalidRequestError} 40002 when it is missing or empty, 40001 for anything else.
 */
export function validateAccounts(accounts: unknown, maxAccounts: number = TENCENT_MAX_ACCOUNTS): string[] {
  const field = 'To_Account';
  if (accounts === undefined || accounts === null) {
    throw new InvalidRequestError(
      40002,
      field,
      `${field} is required: a list of 1 to ${maxAccounts} UserIDs`,
    );
  }
  if (!Array.isArray(accounts)) {
    throw invalid(field, `${field} must be a list of UserIDs, got ${kindOf(accounts)}`);
  }
  if (accounts.length === 0) {
    throw new InvalidRequestError(40002, field, `${field} is empty: give 1 to ${maxAccounts} UserIDs`);
  }
  if (accounts.length > maxAccounts) {
    throw invalid(
      field,
      `${field} holds ${accounts.length} UserIDs; at most ${maxAccounts} are allowed per request`,
    );
  }
  return Array.from(accounts, (account, index) => checkUserId(account, `${field}[${index}]`));
}

function checkTag(value: unknown, field: string): string {
  if (typeof value !== 'string') throw invalid(field, `${field} must be a tag string, got ${kindOf(value)}`);
  if (isStandardTag(value) || isCustomTag(value)) return value;
  if (value.startsWith(STANDARD_TAG_PREFIX)) {
    throw invalid(
      field,
      `${field} ${echo(value)} is not a standard tag; the standard tags are ${Object.keys(STANDARD_TAGS).join(', ')}`,
    );
  }
  if (value.startsWith(CUSTOM_TAG_PREFIX)) {
    throw invalid(
      field,
      `${field} ${echo(value)} has an invalid keyword: after ${CUSTOM_TAG_PREFIX} use 1 to 16 letters, digits or _`,
    );
  }
  throw invalid(
    field,
    `${field} ${echo(value)} is not a profile tag: use ${STANDARD_TAG_PREFIX}<Name> or ${CUSTOM_TAG_PREFIX}<Keyword>`,
  );
}

/**
 * Checks `TagList`: a non-empty list of standard tags or well-formed custom tags.
 * Throws {@link InvalidRequestError} 40001 naming the first wrong entry.
 */
export function validateTags(tags: unknown): string[] {
  const field = 'TagList';
  if (tags === undefined || tags === null) {
    throw invalid(field, `${field} is required: a list of profile tags such as Tag_Profile_IM_Nick`);
  }
  if (!Array.isArray(tags))
    throw invalid(field, `${field} must be a list of profile tags, got ${kindOf(tags)}`);
  if (tags.length === 0) throw invalid(field, `${field} is empty: name at least one profile tag`);
  return Array.from(tags, (tag, index) => checkTag(tag, `${field}[${index}]`));
}

/**
 * Checks a whole portrait_get request (accounts first, as Tencent reports 40002 before anything else).
 * `maxAccounts` defaults to Tencent's own {@link TENCENT_MAX_ACCOUNTS}.
 */
export function validatePortraitRequest(
  accounts: unknown,
  tags: unknown,
  maxAccounts: number = TENCENT_MAX_ACCOUNTS,
): PortraitGetRequest {
  return { To_Account: validateAccounts(accounts, maxAccounts), TagList: validateTags(tags) };
}
