import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackServer {
  origin: string;
  /** Every request received, in order: the path with its query and the body. */
  requests: Array<{ url: string; body: string; socketReused: boolean }>;
  close(): Promise<void>;
}

export type LoopbackHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  received: { body: string; socketReused: boolean },
) => void;

/** A real HTTP server on 127.0.0.1 that records what it receives and answers with `handler`. */
export async function startLoopbackServer(handler: LoopbackHandler): Promise<LoopbackServer> {
  const requests: LoopbackServer['requests'] = [];
  const seenSockets = new WeakSet<object>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const socketReused = seenSockets.has(request.socket);
      seenSockets.add(request.socket);
      const received = { url: request.url ?? '', body: Buffer.concat(chunks).toString('utf8'), socketReused };
      requests.push(received);
      handler(request, response, received);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An origin on loopback where nothing listens: connecting to it is refused at once. */
export async function closedLoopbackOrigin(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
