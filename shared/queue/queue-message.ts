import * as z from 'zod';
import { type GatewayError, InvalidRequestError } from '../errors.ts';
import { parseJsonObject } from '../json-object.ts';
import { parsePortraitRequest, type RequestLimits } from '../portrait/portrait-request.ts';
import type { PortraitGetRequest } from '../tencent/portrait-types.ts';

/** Longest `CorrelationId` echoed back: enough for any UUID, ARN or composite key. */
export const MAX_CORRELATION_ID_LENGTH = 256;

export type QueueMessage =
  | { ok: true; request: PortraitGetRequest; correlationId?: string }
  | { ok: false; error: GatewayError; correlationId?: string };

const correlationSchema = z.looseObject({
  CorrelationId: z.string().max(MAX_CORRELATION_ID_LENGTH).optional(),
});

/**
 * Reads one queue message: a portrait_get request, optionally with a `CorrelationId` (a string of at
 * most {@link MAX_CORRELATION_ID_LENGTH} characters) to echo in the result. A message that can never
 * be served comes back with the error to publish, and its CorrelationId when one could be read.
 */
export function parseQueueMessage(body: string, limits: RequestLimits): QueueMessage {
  const parsed = parseJsonObject(body);
  if (!parsed.ok && parsed.problem === 'not-json') {
    // Tencent's 60003, "request JSON parse error": never retried.
    return {
      ok: false,
      error: new InvalidRequestError(60003, 'body', 'the message body could not be parsed as JSON'),
    };
  }
  const json: unknown = parsed.ok ? parsed.value : undefined;
  const correlation = correlationSchema.safeParse(json);
  const correlationId = correlation.success ? correlation.data.CorrelationId : undefined;
  const echo = correlationId === undefined ? {} : { correlationId };
  try {
    const request = parsePortraitRequest(json, limits);
    if (!correlation.success) {
      throw new InvalidRequestError(
        40001,
        'CorrelationId',
        `CorrelationId must be a string of at most ${MAX_CORRELATION_ID_LENGTH} characters`,
      );
    }
    return { ok: true, request, ...echo };
  } catch (error) {
    if (error instanceof InvalidRequestError) return { ok: false, error, ...echo };
    throw error;
  }
}
