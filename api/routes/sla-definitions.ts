/**
 * SLA targets and their calendars, as data (seed 002): what each case kind and severity is
 * promised, measured in which working time, warned at which share of the target. A case fixes
 * its targets when it is entered, so a change applies to cases entered after it.
 */
import { asc, eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { durationMs } from '../../domain/cases.js';
import { caseKinds, caseSeverities } from '../../domain/vocabulary.js';
import { calendars, slaDefinitions } from '../../db/schema.js';
import { DomainError, commonErrorResponses, errorBody } from '../errors.js';

const definitionView = z
  .object({
    id: z.string(),
    kind: z.enum(caseKinds),
    severity: z.enum(caseSeverities),
    metric: z.enum(['response', 'resolution']),
    target: z.string().describe('ISO 8601 working time, e.g. PT8H'),
    calendarId: z.string(),
    level: z.enum(['CSL', 'SLO']),
    warnAt: z.array(z.number().int()).describe('Percent of the target at which the owner group is warned'),
  })
  .meta({ id: 'SlaDefinition' });
const calendarView = z
  .object({
    id: z.string(),
    utcOffsetMinutes: z.number().int(),
    workingDays: z.array(z.number().int()).describe('0 Sunday … 6 Saturday'),
    start: z.number().int().describe('Minute of the day work starts'),
    end: z.number().int(),
    holidays: z.array(z.string()),
  })
  .meta({ id: 'Calendar' });

export const slaDefinitionRoutes: FastifyPluginAsyncZod = async (app) => {
  const readers = ['backoffice', 'support', 'admin'] as const;

  app.get(
    '/slaDefinitions',
    {
      config: { roles: readers },
      schema: {
        tags: ['troubleTickets'],
        summary: 'Response and resolution targets per case kind and severity',
        response: { 200: z.array(definitionView), ...commonErrorResponses },
      },
    },
    async (_request, reply) => {
      const rows = await app.db.select().from(slaDefinitions).orderBy(asc(slaDefinitions.id));
      return reply.header('x-total-count', rows.length).send(rows);
    },
  );

  app.get(
    '/calendars',
    {
      config: { roles: readers },
      schema: {
        tags: ['troubleTickets'],
        summary: 'The working-time calendars SLA targets are measured in',
        response: { 200: z.array(calendarView), ...commonErrorResponses },
      },
    },
    async (_request, reply) => {
      const rows = await app.db.select().from(calendars).orderBy(asc(calendars.id));
      return reply.header('x-total-count', rows.length).send(rows);
    },
  );

  app.put(
    '/slaDefinitions/:id',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['troubleTickets'],
        summary: 'Change a target, its calendar, CSL or SLO, and its warnings: cases entered from now on follow it',
        params: z.object({ id: z.string().regex(/^[a-z]+\.[a-z]+\.[a-z]+$/, 'kind.severity.metric') }),
        body: z
          .object({
            target: z
              .string()
              .refine((d) => (durationMs(d) ?? 0) > 0 && durationMs(d)! <= 366 * 86400_000, 'an ISO 8601 duration, at most a year'),
            calendarId: z.string().min(1).max(50),
            level: z.enum(['CSL', 'SLO']),
            warnAt: z
              .array(z.number().int().min(1).max(99))
              .max(5)
              .refine((w) => new Set(w).size === w.length, 'each percentage once'),
          })
          .strict(),
        response: { 200: definitionView, 404: errorBody, 422: errorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const { id } = request.params;
      const [calendar] = await app.db.select({ id: calendars.id }).from(calendars).where(eq(calendars.id, request.body.calendarId));
      if (!calendar) throw new DomainError('UNKNOWN_CALENDAR', `No calendar ${request.body.calendarId}`);
      const [row] = await app.db
        .update(slaDefinitions)
        .set({ ...request.body, warnAt: [...request.body.warnAt].sort((a, b) => a - b) })
        .where(eq(slaDefinitions.id, id))
        .returning();
      if (!row) throw new DomainError('SLA_DEFINITION_NOT_FOUND', `No SLA definition ${id}`);
      return row;
    },
  );
};
