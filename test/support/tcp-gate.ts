/**
 * A TCP forwarder in front of a real server (PostgreSQL, Temporal) that a test can close: `close()`
 * drops every connection and refuses new ones, as a server restart or network blip would;
 * `open()` lets them through again.
 */
import { createServer, connect, type Socket } from 'node:net';

export async function tcpGate(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let open = true;
  const server = createServer((client) => {
    // A reset, as from a port nobody listens on: a clean close right after the handshake would
    // look to postgres.js like a server going away mid-startup, which it retries without end.
    if (!open) return client.resetAndDestroy();
    const upstream = connect(target.port, target.host);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    /** The URL `url` would be, through the gate. */
    through(url: string) {
      const u = new URL(url);
      u.host = `127.0.0.1:${port}`;
      return u.toString();
    },
    close() {
      open = false;
      for (const s of sockets) s.destroy();
    },
    open() {
      open = true;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
