/**
 * A small HTTP server on loopback standing in for an external system (activation, billing, a hub
 * listener): it reads each request's JSON body and answers what `answer` says, after its delay.
 */
import { createServer } from 'node:http';

export interface LoopbackRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Whatever the system under test sends. */
  body: any;
}
export interface LoopbackAnswer {
  status: number;
  body?: unknown;
  delayMs?: number;
}

export async function startLoopback(answer: (request: LoopbackRequest) => LoopbackAnswer) {
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk));
    req.on('end', () => {
      const a = answer({ path: req.url!, headers: req.headers, body: raw ? JSON.parse(raw) : undefined });
      setTimeout(() => {
        res.writeHead(a.status, { 'content-type': 'application/json' });
        res.end(a.body === undefined ? '' : JSON.stringify(a.body));
      }, a.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
