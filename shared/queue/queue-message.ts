import { z } from 'zod';
import { parsePortraitRequest, type RequestLimits } from '../portrait/portrait-request.ts';
import type { Disposition } from '../tencent/error-codes.ts';
import { InvalidRequestError, TencentError } from '../tencent/errors.ts';
import type { PortraitGetRequest } from '../tencent/portrait-types.ts';

/** Longest `CorrelationId` echoed back: enough for any UUID, ARN or composite key. */
export const MAX_CORRELATION_ID_LENGTH = 256;

/** A message body that is not JSON: answered with Tencent's 60003 ("request JSON parse error"), never retried. */
export class UnparsableMessageError extends TencentError {
  override readonly name = 'UnparsableMessageError';
  readonly disposition: Disposition = 'fatal-request';
  readonly code = 60003;
  constructor() {
    super('the message body could not be parsed as JSON');
  }
}

export type QueueMessage =
  | { ok: true; request: PortraitGetRequest; correlationId?: string }
  | { ok: false; error: TencentError; correlationId?: string };

const correlationSchema = z.looseObject({
  CorrelationId: z.string().max(MAX_CORRELATION_ID_LENGTH).optional(),
});

/**
 * Reads one queue message: a portrait_get request, optionally with a `CorrelationId` (a string of at
 * most {@link MAX_CORRELATION_ID_LENGTH} characters) to echo in the result. A message that can never
 * be served comes back with the error to publish, and its CorrelationId when one could be read.
 */
export function parseQueueMessage(body: string, limits: RequestLimits): QueueMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, error: new UnparsableMessageError() };
  }
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
