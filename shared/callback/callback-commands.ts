import * as z from 'zod';
import { parseJsonObject } from '../json-object.ts';
import { MAX_USER_ID_BYTES } from '../tencent/limits.ts';
import type { ProfileItem, ProfileValue } from '../tencent/portrait-types.ts';
import { isKnownTagShape, isStandardTag, MAX_CUSTOM_TAGS, tagValueType } from '../tencent/profile-tags.ts';

export const PORTRAIT_SET_COMMAND = 'Profile.CallbackPortraitSet';
export const REQUEST_OVER_LIMIT_COMMAND = 'Alert.RequestOverLimit';

/**
 * The largest webhook body read: 64 KiB. A profile change carries at most the 12 standard tags and
 * the app's 20 custom fields, each value at most 500 bytes: under 20 KiB with its envelope. A larger
 * body is not parsed at all (docs/webhooks.md, "Limits"): parsing is what made a 448 KiB body
 * hold the process for seconds and an 8 MB one take 3 GB.
 */
export const MAX_CALLBACK_BODY_BYTES = 64 * 1024;

/** Any webhook body: only the command is needed to choose how to read the rest. */
const envelopeSchema = z.object({ CallbackCommand: z.string() });

/** `Profile.CallbackPortraitSet`: the fields of `From_Account` that changed at `EventTime` (epoch ms). */
export const portraitSetSchema = z.object({
  CallbackCommand: z.literal(PORTRAIT_SET_COMMAND),
  Operator_Account: z.string().optional(),
  From_Account: z.string().min(1).max(MAX_USER_ID_BYTES),
  EventTime: z.number().int().nonnegative(),
  ProfileItem: z.array(z.object({ Tag: z.string(), Value: z.union([z.string(), z.number()]) })),
});

/** `Alert.RequestOverLimit`: an API of the app passed 80 % of its ceiling. */
export const requestOverLimitSchema = z.object({
  CallbackCommand: z.literal(REQUEST_OVER_LIMIT_COMMAND),
  ServiceName: z.string().optional(),
  Command: z.string(),
  Request: z.number(),
  Limit: z.number(),
});

export type PortraitSet = z.infer<typeof portraitSetSchema>;
export type RequestOverLimit = z.infer<typeof requestOverLimitSchema>;

/** A webhook body, read. */
export type CallbackCommand =
  | { kind: 'portrait-set'; event: PortraitSet }
  | { kind: 'request-over-limit'; alert: RequestOverLimit }
  /** A command the gateway has no use for: acknowledged and ignored. */
  | { kind: 'other'; command: string }
  /** Not JSON, no command, or a known command whose fields are wrong; `problem` says what (no values). */
  | { kind: 'malformed'; command: string | undefined; problem: string };

/** Issues named in a problem: a forged body can have one per list entry, and the text goes to a log line. */
const MAX_ISSUES_NAMED = 3;

const problemOf = (error: z.ZodError): string => {
  const named = error.issues
    .slice(0, MAX_ISSUES_NAMED)
    .map((issue) => `${issue.path.slice(0, 4).join('.') || 'body'}: ${issue.message}`);
  const more = error.issues.length - named.length;
  return [...named, ...(more > 0 ? [`and ${more} more`] : [])].join('; ');
};

/** Reads a webhook body (the raw text Tencent posted). Never throws. */
export function parseCallbackBody(body: string): CallbackCommand {
  const parsed = parseJsonObject(body);
  if (!parsed.ok) {
    const problem = parsed.problem === 'not-json' ? 'the body is not JSON' : 'the body is not a JSON object';
    return { kind: 'malformed', command: undefined, problem };
  }
  const json = parsed.value;
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) return { kind: 'malformed', command: undefined, problem: problemOf(envelope.error) };
  const command = envelope.data.CallbackCommand;
  if (command === PORTRAIT_SET_COMMAND) {
    const event = portraitSetSchema.safeParse(json);
    return event.success
      ? { kind: 'portrait-set', event: event.data }
      : { kind: 'malformed', command, problem: problemOf(event.error) };
  }
  if (command === REQUEST_OVER_LIMIT_COMMAND) {
    const alert = requestOverLimitSchema.safeParse(json);
    return alert.success
      ? { kind: 'request-over-limit', alert: alert.data }
      : { kind: 'malformed', command, problem: problemOf(alert.error) };
  }
  return { kind: 'other', command };
}

/** The longest string value Tencent stores (docs/tencent.md, "Profile tags"): nicknames, URLs, custom fields. */
export const MAX_STRING_VALUE_BYTES = 500;
const UINT32_MAX = 0xffff_ffff;

/** A change left out of the cache because its value cannot be its tag's; `problem` names no value. */
export interface DroppedChange {
  Tag: string;
  problem: string;
}

export interface CacheableChanges {
  changes: ProfileItem[];
  dropped: DroppedChange[];
  /** Distinct custom tags past the app's {@link MAX_CUSTOM_TAGS}: no app has them, so none is applied. */
  ignored: number;
}

/**
 * Why `value` cannot be the value of `tag`, or undefined when it can: uint32 tags hold whole JSON
 * numbers from 0 to 2³²−1, the others strings of at most {@link MAX_STRING_VALUE_BYTES} UTF-8 bytes.
 * A decimal string for a uint32 tag is refused rather than converted: Tencent documents numbers,
 * and a value the gateway had to guess at is better fetched than served.
 */
export function valueProblem(tag: string, value: ProfileValue): string | undefined {
  if (tagValueType(tag) === 'uint32') {
    if (typeof value !== 'number') return `a uint32 tag needs a number, got a ${typeof value}`;
    return Number.isInteger(value) && value >= 0 && value <= UINT32_MAX
      ? undefined
      : `a uint32 tag needs a whole number from 0 to ${UINT32_MAX}`;
  }
  if (typeof value !== 'string') return `a string tag needs a string, got a ${typeof value}`;
  return Buffer.byteLength(value, 'utf8') > MAX_STRING_VALUE_BYTES
    ? `the string is longer than ${MAX_STRING_VALUE_BYTES} bytes`
    : undefined;
}

/**
 * Splits a change's items into those worth caching and those dropped. Only tags the gateway can
 * be asked for count (others could never be read back, and are left out silently); the last value
 * wins when Tencent lists a tag twice, in first-seen order; a value that does not fit its tag (see
 * {@link valueProblem}) drops its tag, since the body is not covered by Tencent's signature. At most
 * {@link MAX_CUSTOM_TAGS} distinct custom tags are kept, the first seen: Tencent sends no more, so
 * the rest can only be forged, and each would cost a write.
 */
export function cacheableChanges(items: readonly ProfileItem[]): CacheableChanges {
  const latest = new Map<string, ProfileValue>();
  let customTags = 0;
  const ignored = new Set<string>();
  for (const item of items) {
    if (!isKnownTagShape(item.Tag)) continue;
    if (!latest.has(item.Tag) && !isStandardTag(item.Tag)) {
      if (customTags === MAX_CUSTOM_TAGS) {
        ignored.add(item.Tag);
        continue;
      }
      customTags += 1;
    }
    latest.set(item.Tag, item.Value);
  }
  const result: CacheableChanges = { changes: [], dropped: [], ignored: ignored.size };
  for (const [tag, value] of latest) {
    const problem = valueProblem(tag, value);
    if (problem === undefined) result.changes.push({ Tag: tag, Value: value });
    else result.dropped.push({ Tag: tag, problem });
  }
  return result;
}
