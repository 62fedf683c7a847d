import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { ResultTooLargeError } from '../errors.ts';
import { accountsThatFit } from '../portrait/accounts-that-fit.ts';
import { replyFor } from '../portrait/merge.ts';
import type { PortraitGetResponse } from '../tencent/portrait-types.ts';

/**
 * The largest response a function may give a synchronous invocation, counted as the runtime counts
 * it: the JSON of the whole proxy result. Lambda documents 6 MB; its runtime refuses a response over
 * 6,291,556 bytes ("Exceeded maximum allowed payload size"), which API Gateway then answers with a
 * 502 (docs/api.md, "Large replies").
 */
export const LAMBDA_RESPONSE_MAX_BYTES = 6_291_556;

const gzipAsync = promisify(gzip);

/** A Lambda response's size as the runtime sends it. */
export const responseBytes = (result: APIGatewayProxyResult): number =>
  Buffer.byteLength(JSON.stringify(result), 'utf8');

/** The bytes a piece of JSON takes once nested, escaped, as a proxy result's `body` string. */
const escapedBytes = (json: string): number => Buffer.byteLength(JSON.stringify(json), 'utf8') - 2;

/**
 * At least {@link responseBytes} of a result whose body is JSON text, without serializing the
 * body: nested as a string such text at most doubles (only `"` and `\` gain a byte; it holds no raw
 * control character or lone surrogate). Spares most replies a second serialization just to be
 * measured (5.9 of 10.9 ms for a 1.3 MB reply).
 */
export const jsonResponseBytesAtMost = (result: APIGatewayProxyResult): number =>
  2 * Buffer.byteLength(result.body, 'utf8') + responseBytes({ ...result, body: '' });

/** Compressed, a response varies with what the caller accepts; so does the plain one it replaces. */
const VARY = { Vary: 'Accept-Encoding' };

const plainResult = (text: string, headers: Record<string, string>): APIGatewayProxyResult => ({
  statusCode: 200,
  headers: { ...headers, ...VARY },
  body: text,
});

async function gzipResult(text: string, headers: Record<string, string>): Promise<APIGatewayProxyResult> {
  return {
    statusCode: 200,
    headers: { ...headers, ...VARY, 'Content-Encoding': 'gzip' },
    body: (await gzipAsync(text)).toString('base64'),
    isBase64Encoded: true,
  };
}

/** Tries of {@link compressedFit}: each shrinks the guess by the share that did not fit, so two or three do. */
const FIT_TRIES = 5;

/**
 * How many of the reply's first accounts fit `maxBytes` compressed, found by compressing that many
 * (the size of compressed JSON grows about linearly with its accounts): 0 when no try fit.
 */
async function compressedFit(
  reply: PortraitGetResponse,
  headers: Record<string, string>,
  maxBytes: number,
  allBytes: number,
): Promise<number> {
  const items = reply.UserProfileItem ?? [];
  const byAccount = new Map(items.map((item) => [item.To_Account, item]));
  const accounts = items.map((item) => item.To_Account);
  let count = accounts.length;
  let bytes = allBytes;
  for (let tries = 0; tries < FIT_TRIES; tries += 1) {
    count = Math.min(count - 1, Math.floor((count * maxBytes) / bytes));
    if (count <= 0) return 0;
    const part = replyFor(accounts.slice(0, count), byAccount);
    bytes = responseBytes(await gzipResult(JSON.stringify(part), headers));
    if (bytes <= maxBytes) return count;
  }
  return 0;
}

export interface LambdaReplyOptions {
  /** Response headers besides the encoding's. */
  headers: Record<string, string>;
  /** Whether the caller accepts gzip (`acceptsGzip`). */
  gzip: boolean;
  /** Default {@link LAMBDA_RESPONSE_MAX_BYTES}. */
  maxBytes?: number;
}

/**
 * `reply` as a 200 proxy result Lambda can return. A caller that accepts gzip gets it compressed,
 * base64-encoded with `Content-Encoding: gzip` (API Gateway passes it on as bytes), unless only the
 * plain JSON fits; anyone else gets the JSON text. When no encoding fits `maxBytes` it throws a
 * {@link ResultTooLargeError} (413) saying how many accounts would fit: surely, whichever are sent,
 * as JSON text; compressed, as measured on the first accounts of this reply. The larger count is
 * given, since the reply to a request of that many takes whichever encoding fits.
 */
export async function lambdaReply(
  reply: PortraitGetResponse,
  options: LambdaReplyOptions,
): Promise<APIGatewayProxyResult> {
  const { headers, maxBytes = LAMBDA_RESPONSE_MAX_BYTES } = options;
  const text = JSON.stringify(reply);
  const compressed = options.gzip ? await gzipResult(text, headers) : undefined;
  const compressedBytes = compressed === undefined ? Number.POSITIVE_INFINITY : responseBytes(compressed);
  if (compressed !== undefined && compressedBytes <= maxBytes) return compressed;
  const plain = plainResult(text, headers);
  if (jsonResponseBytesAtMost(plain) <= maxBytes) return plain;
  const plainBytes = responseBytes(plain);
  if (plainBytes <= maxBytes) return plain;

  const encodePlain = (part: PortraitGetResponse) =>
    JSON.stringify(plainResult(JSON.stringify(part), headers));
  const fit = Math.max(
    accountsThatFit(reply, encodePlain, maxBytes, escapedBytes),
    compressed === undefined ? 0 : await compressedFit(reply, headers, maxBytes, compressedBytes),
  );
  throw new ResultTooLargeError('one Lambda response', Math.min(plainBytes, compressedBytes), maxBytes, fit);
}
