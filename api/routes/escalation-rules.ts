/**
 * Escalation rules (seed 003, figure 19): by case kind, and for defects also product and symptom.
 * Everyone who works cases reads them; admins change them. A case fixes its rule when it is
 * entered, so a change applies to cases entered after it.
 */
import { asc, eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { durationMs } from '../../domain/cases.js';
import { groupName } from '../../domain/values.js';
import { escalationRuleView, type EscalationRuleView } from '../../domain/views.js';
import { escalationRules } from '../../db/schema.js';
import { DomainError, commonErrorResponses, errorBody } from '../errors.js';

const ruleId = z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,99}$/, 'a rule id such as billing or defect.datahost.site-down') });
const view = (row: typeof escalationRules.$inferSelect): EscalationRuleView => ({ ...row, updatedAt: row.updatedAt.toISOString() });

const levels = z
  .array(
    z
      .object({
        level: z.number().int().min(1).max(10),
        group: groupName,
        after: z
          .string()
          .refine((d) => (durationMs(d) ?? 0) > 0, 'an ISO 8601 duration such as P7D or PT4H')
          .describe('Counted from the case opening, time pending excluded'),
      })
      .strict(),
  )
  .min(1)
  .max(10)
  .refine((l) => l.every((x, i) => x.level === i + 1), 'levels are numbered 1, 2, 3 … in order')
  .refine(
    (l) => l.every((x, i) => i === 0 || durationMs(x.after)! > durationMs(l[i - 1]!.after)!),
    'each level falls due after the one before',
  );

export const escalationRuleRoutes: FastifyPluginAsyncZod = async (app) => {
  const readers = ['agent', 'backoffice', 'support', 'admin'] as const;

  app.get(
    '/escalationRules',
    {
      config: { roles: readers },
      schema: {
        tags: ['troubleTickets'],
        summary: 'The escalation rules',
        response: { 200: z.array(escalationRuleView), ...commonErrorResponses },
      },
    },
    async (_request, reply) => {
      const rows = await app.db.select().from(escalationRules).orderBy(asc(escalationRules.id));
      return reply.header('x-total-count', rows.length).send(rows.map(view));
    },
  );

  app.get(
    '/escalationRules/:id',
    {
      config: { roles: readers },
      schema: {
        tags: ['troubleTickets'],
        summary: 'One escalation rule',
        params: ruleId,
        response: { 200: escalationRuleView, 404: errorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const [row] = await app.db.select().from(escalationRules).where(eq(escalationRules.id, request.params.id));
      if (!row) throw new DomainError('ESCALATION_RULE_NOT_FOUND', `No escalation rule ${request.params.id}`);
      return view(row);
    },
  );

  app.put(
    '/escalationRules/:id',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['troubleTickets'],
        summary: "Change a rule's ladder: cases entered from now on follow it",
        params: ruleId,
        body: z.object({ levels, description: z.string().min(1).max(500).optional() }).strict(),
        response: { 200: escalationRuleView, 404: errorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const { id } = request.params;
      const [row] = await app.db
        .update(escalationRules)
        .set({
          levels: request.body.levels,
          ...(request.body.description ? { description: request.body.description } : {}),
          updatedBy: request.principal.keyId,
          updatedAt: new Date(),
        })
        .where(eq(escalationRules.id, id))
        .returning();
      if (!row) throw new DomainError('ESCALATION_RULE_NOT_FOUND', `No escalation rule ${id}`);
      return view(row);
    },
  );
};
