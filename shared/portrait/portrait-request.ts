import { z } from 'zod';
import { InvalidRequestError } from '../errors.ts';
import type { PortraitGetRequest } from '../tencent/portrait-types.ts';
import { validateAccounts, validateTags } from './request-validation.ts';

/**
 * Most tags one request may name: Tencent has 12 standard tags and an app defines at most 20 custom
 * fields, so 32 distinct tags exist; 64 leaves room for repeats while bounding the work of one request.
 */
export const MAX_TAGS_PER_REQUEST = 64;

export interface RequestLimits {
  /** `MAX_ACCOUNTS_PER_REQUEST` from the configuration. */
  maxAccounts: number;
  /** Default {@link MAX_TAGS_PER_REQUEST}. */
  maxTags?: number;
}

/**
 * Tencent's request envelope. Fields it does not know are tolerated, as Tencent tolerates them, so
 * a caller switching to the gateway changes nothing but the URL; the two known fields are checked by
 * the shared request validation, which names the exact entry that is wrong.
 */
// Stryker disable next-line ObjectLiteral: a loose object passes every field through; naming the two only types them
const envelopeSchema = z.looseObject({ To_Account: z.unknown().optional(), TagList: z.unknown().optional() });

/**
 * Checks a decoded portrait_get body: a JSON object with `To_Account` (1 to `maxAccounts` UserIDs)
 * and `TagList` (1 to `maxTags` tags). Throws {@link InvalidRequestError} naming the field.
 */
export function parsePortraitRequest(body: unknown, limits: RequestLimits): PortraitGetRequest {
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) {
    throw new InvalidRequestError(40001, 'body', 'body must be a JSON object with To_Account and TagList');
  }
  const { To_Account, TagList } = envelope.data;
  const accounts = validateAccounts(To_Account, limits.maxAccounts);
  const maxTags = limits.maxTags ?? MAX_TAGS_PER_REQUEST;
  if (Array.isArray(TagList) && TagList.length > maxTags) {
    throw new InvalidRequestError(
      40001,
      'TagList',
      `TagList holds ${TagList.length} tags; at most ${maxTags} are allowed per request`,
    );
  }
  return { To_Account: accounts, TagList: validateTags(TagList) };
}
