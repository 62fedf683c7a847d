/**
 * An in-memory dynalite in a process of its own on a free loopback port (the dynalite CLI cannot
 * pick one), so benchmarks can share one DynamoDB between gateway processes without sharing a CPU
 * with it. Prints `dynalite listening on <url>`; stops on SIGINT/SIGTERM.
 */
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`dynalite listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
