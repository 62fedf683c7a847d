import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { BodyTooLargeError } from '../errors.ts';

/**
 * Largest request body accepted: 256 KiB. A request of the default 1000 accounts of 32-byte UserIDs
 * with every tag is under 50 KiB; anything far beyond is a mistake or abuse, refused before parsing.
 */
export const MAX_BODY_BYTES = 256 * 1024;

/** Middy middleware refusing bodies over `maxBytes` (default {@link MAX_BODY_BYTES}) before they are parsed. */
export function bodySizeLimit(maxBytes: number = MAX_BODY_BYTES): MiddlewareObj<APIGatewayProxyEvent> {
  return {
    before: ({ event }) => {
      if (typeof event.body !== 'string') return;
      const bytes = Buffer.byteLength(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
      if (bytes > maxBytes) throw new BodyTooLargeError(bytes, maxBytes);
    },
  };
}
