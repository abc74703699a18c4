import { desc, eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { roles } from '../../domain/vocabulary.js';
import { groupName } from '../../domain/values.js';
import { apiKeys } from '../../db/schema.js';
import { pageQuery, sendPage } from '../paging.js';
import { newApiKey, hashApiKey } from '../../db/api-keys.js';
import { DomainError, commonErrorResponses, errorBody } from '../errors.js';

const admin = ['admin'] as const;

export const newApiKeyRequest = z
  .object({
    role: z.enum(roles),
    groups: z.array(groupName).max(50).optional(),
    customerId: z.string().min(1).max(64).optional(),
    label: z.string().max(200).optional(),
  })
  .strict()
  .refine((k) => (k.role === 'customer') === (k.customerId !== undefined), {
    message: 'customerId is required for a customer key and only for one',
    path: ['customerId'],
  })
  .refine((k) => k.groups === undefined || k.role === 'backoffice', { message: 'groups apply to backoffice keys only', path: ['groups'] });

const apiKeyView = z
  .object({
    id: z.uuid(),
    role: z.enum(roles),
    groups: z.array(z.string()),
    customerId: z.string().nullable(),
    label: z.string().nullable(),
    createdAt: z.date(),
    revokedAt: z.date().nullable(),
  })
  .meta({ id: 'ApiKey' });

const viewColumns = {
  id: apiKeys.id,
  role: apiKeys.role,
  groups: apiKeys.groups,
  customerId: apiKeys.customerId,
  label: apiKeys.label,
  createdAt: apiKeys.createdAt,
  revokedAt: apiKeys.revokedAt,
};

export const apiKeyRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app;

  app.post(
    '/apiKeys',
    {
      config: { roles: admin },
      schema: {
        tags: ['apiKeys'],
        summary: 'Create an API key; the key itself is shown only in this answer',
        body: newApiKeyRequest,
        response: { 201: apiKeyView.extend({ key: z.string() }), ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const key = newApiKey();
      const [row] = await db
        .insert(apiKeys)
        .values({
          keyHash: hashApiKey(key),
          role: request.body.role,
          groups: request.body.groups ?? [],
          customerId: request.body.customerId ?? null,
          label: request.body.label ?? null,
          createdBy: request.principal.keyId,
        })
        .returning(viewColumns);
      return reply.code(201).send({ ...row!, key });
    },
  );

  app.get(
    '/apiKeys',
    {
      config: { roles: admin },
      schema: {
        tags: ['apiKeys'],
        summary: 'List API keys (never the keys themselves)',
        querystring: pageQuery,
        response: { 200: z.array(apiKeyView), ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const [items, total] = await Promise.all([
        db
          .select(viewColumns)
          .from(apiKeys)
          .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
          .limit(request.query.limit)
          .offset(request.query.offset),
        db.$count(apiKeys),
      ]);
      return sendPage(reply, { items, total });
    },
  );

  app.delete(
    '/apiKeys/:id',
    {
      config: { roles: admin },
      schema: {
        tags: ['apiKeys'],
        summary: 'Revoke an API key; revoking it again is a no-op',
        params: z.object({ id: z.uuid() }),
        response: { 204: z.null(), 404: errorBody, ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const [row] = await db.select({ revokedAt: apiKeys.revokedAt }).from(apiKeys).where(eq(apiKeys.id, request.params.id));
      if (!row) throw new DomainError('API_KEY_NOT_FOUND', `No API key ${request.params.id}`);
      if (!row.revokedAt) await db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, request.params.id));
      app.forgetApiKey(request.params.id);
      return reply.code(204).send(null);
    },
  );
};
