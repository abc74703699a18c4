/** Reports for the people who answer for service levels (seed 002). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { caseKinds } from '../../domain/vocabulary.js';
import { slaReportRow } from '../../domain/views.js';
import { slaReport } from '../../db/reports.js';
import { DomainError, commonErrorResponses, errorBody } from '../errors.js';

export const reportRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/reports/sla',
    {
      config: { roles: ['backoffice', 'support', 'admin'] },
      schema: {
        tags: ['reports'],
        summary: 'Per case kind and severity: cases, % of targets met, breaches (CSL apart), time to resolve, escalations, satisfaction',
        querystring: z
          .object({
            from: z.iso.datetime({ offset: true }).describe('Cases entered from (inclusive)'),
            to: z.iso.datetime({ offset: true }).describe('to (exclusive)'),
            kind: z.enum(caseKinds).optional(),
          })
          .strict(),
        response: { 200: z.array(slaReportRow), 422: errorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const from = new Date(request.query.from);
      const to = new Date(request.query.to);
      if (to <= from) throw new DomainError('VALIDATION_FAILED', '`to` must come after `from`');
      if (to.getTime() - from.getTime() > 400 * 24 * 3600_000)
        throw new DomainError('VALIDATION_FAILED', 'A report spans at most 400 days');
      return slaReport(app.db, { from, to, kind: request.query.kind });
    },
  );
};
