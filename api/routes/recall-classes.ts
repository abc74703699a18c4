/**
 * Recall classes as data (seed 004; 21 CFR 7): the class a hazard assessment gives a recall picks
 * its effectiveness-check level, the notice's urgency, the reminder cadence and the regulator
 * report cadence. Product safety and support read them; admins change them.
 */
import { asc, eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recallClassProblem } from '../../domain/recalls.js';
import { effectivenessLevels, noticeUrgencies, recallClasses } from '../../domain/vocabulary.js';
import { timestamp } from '../../domain/values.js';
import { recallClassRules } from '../../db/schema.js';
import { DomainError, commonErrorResponses, errorBody } from '../errors.js';

const recallClassView = z
  .object({
    recallClass: z.enum(recallClasses),
    effectivenessLevel: z.enum(effectivenessLevels).describe('A 100%, B between 10% and 100%, C 10%, D 2%, E none'),
    effectivenessTargetPercent: z.number().int(),
    noticeUrgency: z.enum(noticeUrgencies),
    reminderEvery: z.string().describe('ISO 8601, e.g. P7D'),
    reportEvery: z.string().describe('ISO 8601, every 2 to 4 weeks'),
    description: z.string(),
    updatedBy: z.string().nullable(),
    updatedAt: timestamp,
  })
  .meta({ id: 'RecallClass' });
const view = (row: typeof recallClassRules.$inferSelect) => ({ ...row, updatedAt: row.updatedAt.toISOString() });

export const recallClassRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/recallClasses',
    {
      config: { roles: ['backoffice', 'support', 'admin'] },
      schema: {
        tags: ['recalls'],
        summary: 'What each recall class asks of checks, reminders and reports',
        response: { 200: z.array(recallClassView), ...commonErrorResponses },
      },
    },
    async (_request, reply) => {
      const rows = await app.db.select().from(recallClassRules).orderBy(asc(recallClassRules.recallClass));
      return reply.header('x-total-count', rows.length).send(rows.map(view));
    },
  );

  app.put(
    '/recallClasses/:recallClass',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['recalls'],
        summary: 'Change a class: recalls assessed from now on follow it',
        params: z.object({ recallClass: z.enum(recallClasses) }),
        body: z
          .object({
            effectivenessLevel: z.enum(effectivenessLevels),
            effectivenessTargetPercent: z.number().int().min(0).max(100),
            noticeUrgency: z.enum(noticeUrgencies),
            reminderEvery: z.string().max(20),
            reportEvery: z.string().max(20),
            description: z.string().min(1).max(500).optional(),
          })
          .strict(),
        response: { 200: recallClassView, 422: errorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const problem = recallClassProblem(request.body);
      if (problem) throw new DomainError('RECALL_CLASS_NOT_ALLOWED', problem);
      const { description, ...rule } = request.body;
      const [row] = await app.db
        .update(recallClassRules)
        .set({ ...rule, ...(description ? { description } : {}), updatedBy: request.principal.keyId, updatedAt: new Date() })
        .where(eq(recallClassRules.recallClass, request.params.recallClass))
        .returning();
      return view(row!);
    },
  );
};
