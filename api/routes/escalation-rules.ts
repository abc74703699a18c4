/**
 * Escalation rules (seed 003, figure 19): by case kind, and for defects also product and symptom.
 * Everyone who works cases reads them; admins change them. A case fixes its rule when it is
 * entered, so a change applies to cases entered after it.
 */
import { and, arrayContains, asc, eq, isNull } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { durationMs } from '../../domain/cases.js';
import { groupName } from '../../domain/values.js';
import { caseKinds } from '../../domain/vocabulary.js';
import { escalationRuleView, type EscalationRuleView } from '../../domain/views.js';
import { apiKeys, escalationRules, products } from '../../db/schema.js';
import { DomainError, commonErrorResponses, errorBody } from '../errors.js';

const ruleId = z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,99}$/, 'a rule id such as billing or defect.datahost.site-down') });
const view = (row: typeof escalationRules.$inferSelect): EscalationRuleView => ({ ...row, updatedAt: row.updatedAt.toISOString() });

const maxAfterMs = 366 * 24 * 3600_000;

const levels = z
  .array(
    z
      .object({
        level: z.number().int().min(1).max(10),
        group: groupName,
        after: z
          .string()
          .refine(
            (d) => (durationMs(d) ?? 0) > 0 && durationMs(d)! <= maxAfterMs,
            'an ISO 8601 duration such as P7D or PT4H, at most a year',
          )
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
        summary:
          "Change a rule's ladder, or create a rule for a product and symptom: cases entered from now on follow it. Each level's group must be worked by a back-office key",
        params: ruleId,
        body: z
          .object({
            kind: z.enum(caseKinds).optional().describe('New rules: the case kind'),
            productId: z.string().min(1).max(100).optional().describe('New rules: a catalogue product (defects)'),
            symptom: z.string().min(1).max(100).optional().describe("New rules: one of the product's symptoms"),
            levels,
            description: z.string().min(1).max(500).optional(),
          })
          .strict(),
        response: { 200: escalationRuleView, 201: escalationRuleView, 404: errorBody, 422: errorBody, ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { kind, productId, symptom, levels: ladder, description } = request.body;
      const [existing] = await app.db.select().from(escalationRules).where(eq(escalationRules.id, id));
      if (!existing && !kind)
        throw new DomainError('ESCALATION_RULE_NOT_FOUND', `No escalation rule ${id}; to create one, give its kind (and product, symptom)`);
      for (const level of ladder) {
        const worked = and(isNull(apiKeys.revokedAt), eq(apiKeys.role, 'backoffice'), arrayContains(apiKeys.groups, [level.group]));
        if ((await app.db.$count(apiKeys, worked)) === 0)
          throw new DomainError('UNKNOWN_GROUP', `No back-office key works group ${level.group}: an escalation there would reach no one`);
      }
      const changed = { levels: ladder, updatedBy: request.principal.keyId, updatedAt: new Date() };
      if (existing) {
        if (
          (kind && kind !== existing.kind) ||
          (productId && productId !== existing.productId) ||
          (symptom && symptom !== existing.symptom)
        )
          throw new DomainError(
            'VALIDATION_FAILED',
            `Rule ${id} matches ${existing.kind}/${existing.productId}/${existing.symptom}; that is not changed`,
          );
        const [row] = await app.db
          .update(escalationRules)
          .set({ ...changed, ...(description ? { description } : {}) })
          .where(eq(escalationRules.id, id))
          .returning();
        return view(row!);
      }
      if (!kind)
        throw new DomainError('ESCALATION_RULE_NOT_FOUND', `No escalation rule ${id}; to create one, give its kind (and product, symptom)`);
      if (symptom && !productId) throw new DomainError('VALIDATION_FAILED', 'A symptom is of a product: give productId');
      if (productId) {
        const [product] = await app.db.select({ symptoms: products.symptoms }).from(products).where(eq(products.id, productId));
        if (!product) throw new DomainError('UNKNOWN_OFFERING', `Unknown product ${productId}`);
        if (symptom && !product.symptoms.some((s) => s.id === symptom))
          throw new DomainError('UNKNOWN_SYMPTOM', `Product ${productId} has no symptom ${symptom}`, {
            symptoms: product.symptoms.map((s) => s.id),
          });
      }
      const [row] = await app.db
        .insert(escalationRules)
        .values({
          id,
          kind,
          productId: productId ?? null,
          symptom: symptom ?? null,
          description: description ?? `Escalation for ${id}`,
          ...changed,
        })
        .returning();
      return reply.code(201).send(view(row!));
    },
  );
};
