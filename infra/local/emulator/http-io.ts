import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLoopbackHost } from '../../../shared/tencent/regions.ts';

/** The body as text; undefined when it is longer than `maxBytes` (the rest is read and dropped). */
export const readBody = (req: IncomingMessage, maxBytes: number): Promise<string | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > maxBytes ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

export function sendJson(
  res: ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain',
): void {
  res.writeHead(status, {
    'content-type': `${contentType}; charset=utf-8`,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Whether a socket's remote address is loopback, IPv4-mapped IPv6 included. */
export const isLoopbackPeer = (address: string | undefined): boolean =>
  address !== undefined && isLoopbackHost(address.replace(/^::ffff:/, ''));

/** The origin a client reaches a server listening on `host:port` at (a wildcard host → its loopback). */
export const originOf = (host: string, port: number): string => {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
};
