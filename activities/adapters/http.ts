import { ApplicationFailure } from '@temporalio/activity';

/**
 * POSTs JSON to an external system under an idempotency key, so a retried activity never makes
 * the system act twice. A 4xx is the system's final word (a non-retryable failure of type
 * `refusedAs`); anything else that is not 2xx, and a timeout, is retried by Temporal.
 */
export async function postJson(
  system: string,
  url: URL,
  idempotencyKey: string,
  body: unknown,
  o: { refusedAs: string; timeoutMs: number },
): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(o.timeoutMs),
  });
  const text = await response.text();
  if (response.status >= 400 && response.status < 500)
    throw ApplicationFailure.nonRetryable(`${system} refused ${url.pathname} (${response.status}): ${text.slice(0, 500)}`, o.refusedAs);
  if (!response.ok) throw new Error(`${system} failed ${url.pathname} (${response.status}): ${text.slice(0, 500)}`);
  return text;
}
