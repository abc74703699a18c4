/**
 * The fallout policy table (design section 3): what the order flow does when a step fails, by
 * step and error code. Everyone who handles fallout reads it; admins change it. A change applies
 * to steps that start after it (each step reads its rows as it starts).
 */
import { asc, eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { falloutPolicyProblem } from '../../domain/fallout.js';
import { falloutPolicyChange } from '../../domain/fallout-commands.js';
import { falloutPolicyView, type FalloutPolicyView } from '../../domain/views.js';
import { falloutPolicies } from '../../db/schema.js';
import { DomainError, commonErrorResponses, errorBody } from '../errors.js';

const policyId = z
  .string()
  .regex(/^[a-z]+\.[A-Z_]+$/, '<step>.<errorCode>')
  .max(100)
  .describe('<step>.<errorCode>, e.g. activation.ACTIVATION_FAILED');
const view = (row: typeof falloutPolicies.$inferSelect): FalloutPolicyView => ({ ...row, updatedAt: row.updatedAt.toISOString() });

export const falloutPolicyRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/falloutPolicies',
    {
      config: { roles: ['backoffice', 'support', 'admin'] },
      schema: {
        tags: ['fallout'],
        summary: 'The fallout policy table: per step and error code, the first and second policy',
        response: { 200: z.array(falloutPolicyView), ...commonErrorResponses },
      },
    },
    async (_request, reply) => {
      const rows = await app.db.select().from(falloutPolicies).orderBy(asc(falloutPolicies.step), asc(falloutPolicies.errorCode));
      return reply.header('x-total-count', rows.length).send(rows.map(view));
    },
  );

  app.get(
    '/falloutPolicies/:id',
    {
      config: { roles: ['backoffice', 'support', 'admin'] },
      schema: {
        tags: ['fallout'],
        summary: 'One fallout policy row',
        params: z.object({ id: policyId }),
        response: { 200: falloutPolicyView, 404: errorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const [row] = await app.db.select().from(falloutPolicies).where(eq(falloutPolicies.id, request.params.id));
      if (!row) throw new DomainError('FALLOUT_POLICY_NOT_FOUND', `No fallout policy ${request.params.id}`);
      return view(row);
    },
  );

  app.put(
    '/falloutPolicies/:id',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['fallout'],
        summary: 'Change a row: steps that start after the change follow it; a repeated PUT changes nothing more',
        params: z.object({ id: policyId }),
        body: falloutPolicyChange,
        response: { 200: falloutPolicyView, 404: errorBody, 422: errorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const { id } = request.params;
      const [existing] = await app.db.select().from(falloutPolicies).where(eq(falloutPolicies.id, id));
      if (!existing) throw new DomainError('FALLOUT_POLICY_NOT_FOUND', `No fallout policy ${id}`);
      const { first, second, description } = request.body;
      for (const [which, policy] of [
        ['first', first],
        ['second', second],
      ] as const) {
        const problem = falloutPolicyProblem(existing.step, policy);
        if (problem) throw new DomainError('POLICY_NOT_ALLOWED', `${which}: ${problem}`, { field: which });
      }
      // A repeat of the row as it is changes nothing, not even who changed it last.
      const same = (a: object, b: object) => JSON.stringify(a, Object.keys(a).sort()) === JSON.stringify(b, Object.keys(b).sort());
      if (same(first, existing.first) && same(second, existing.second) && (description ?? existing.description) === existing.description)
        return view(existing);
      const [row] = await app.db
        .update(falloutPolicies)
        .set({ first, second, description: description ?? existing.description, updatedBy: request.principal.keyId, updatedAt: new Date() })
        .where(eq(falloutPolicies.id, id))
        .returning();
      return view(row!);
    },
  );
};
