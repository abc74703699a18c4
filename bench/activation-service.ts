/**
 * The built-in activation simulator served over HTTP as the real activation system is
 * (`ACTIVATION_ADAPTER=http`: `POST /activations`, `POST /deactivations`, keyed by
 * `Idempotency-Key`), from the process that drives a run. Inside a worker it would die with the
 * worker; here a killed worker's successor finds the same system, holding what was activated, so a
 * run can count what each key did there.
 */
import { createServer } from 'node:http';
import type { ActivationSimulator } from '../activities/adapters/activation.js';

export async function serveActivationSimulator(simulator: ActivationSimulator) {
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk));
    req.on('end', () => {
      const answer = async () => {
        const body = JSON.parse(raw);
        if (req.url === '/activations') return simulator.activate(body);
        if (req.url === '/deactivations') return simulator.deactivate(body);
        return undefined;
      };
      answer().then(
        (result) => {
          res.writeHead(result ? 200 : 404, { 'content-type': 'application/json' });
          res.end(JSON.stringify(result ?? { error: `no such path ${req.url}` }));
        },
        // The simulator's outages (its failure rate) are a 503, which the adapter retries.
        (err: Error) => {
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: err.message }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
