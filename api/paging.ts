/**
 * Paging for every list: `limit` and `offset` in the query (one maximum for all lists), the total
 * in `X-Total-Count`, the page as the body.
 */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { PageOf } from '../db/views.js';

export const maxPageSize = 200;

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(maxPageSize).default(50).describe(`At most ${maxPageSize}`),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

/** A list route's query: its filters and the page. */
export const listQuery = <T extends z.ZodRawShape>(filters: T) => pageQuery.extend(filters);

export function sendPage<T>(reply: FastifyReply, page: PageOf<T>) {
  return reply.header('x-total-count', page.total).send(page.items);
}
