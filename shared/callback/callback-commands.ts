import { z } from 'zod';
import type { ProfileItem } from '../tencent/portrait-types.ts';
import { isKnownTagShape } from '../tencent/profile-tags.ts';
import { MAX_USER_ID_BYTES } from '../tencent/request-validation.ts';

export const PORTRAIT_SET_COMMAND = 'Profile.CallbackPortraitSet';
export const REQUEST_OVER_LIMIT_COMMAND = 'Alert.RequestOverLimit';

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

const problemOf = (error: z.ZodError): string =>
  error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');

/** Reads a webhook body (the raw text Tencent posted). Never throws. */
export function parseCallbackBody(body: string): CallbackCommand {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { kind: 'malformed', command: undefined, problem: 'the body is not JSON' };
  }
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

/**
 * The changes worth caching: tags the gateway can be asked for (other tags could never be read
 * back), the last value winning when Tencent lists a tag twice, in first-seen order.
 */
export function cacheableChanges(items: readonly ProfileItem[]): ProfileItem[] {
  const byTag = new Map<string, ProfileItem>();
  for (const item of items) {
    if (isKnownTagShape(item.Tag)) byTag.set(item.Tag, { Tag: item.Tag, Value: item.Value });
  }
  return [...byTag.values()];
}
