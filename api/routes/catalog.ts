import { asc } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { roles } from '../../domain/vocabulary.js';
import { catalogProduct } from '../../domain/views.js';
import { productComponents, products } from '../../db/schema.js';
import { priceOf } from '../../db/views.js';
import { commonErrorResponses } from '../errors.js';

export const catalogRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app;
  app.get(
    '/catalog/products',
    {
      config: { roles },
      schema: {
        tags: ['catalog'],
        summary: 'Packages with their components, fulfilment and prices',
        response: { 200: z.array(catalogProduct), ...commonErrorResponses },
      },
    },
    async (_request, reply) => {
      const [rows, components] = await Promise.all([
        db.select().from(products).orderBy(asc(products.id)),
        db.select().from(productComponents).orderBy(asc(productComponents.position)),
      ]);
      const body = rows.map((p) => ({
        id: p.id,
        family: p.family,
        name: p.name,
        description: p.description,
        currency: p.currency,
        price: priceOf(p),
        symptoms: p.symptoms,
        triageQuestions: p.triageQuestions,
        components: components
          .filter((c) => c.productId === p.id)
          .map((c) => ({
            id: c.id,
            name: c.name,
            mandatory: c.mandatory,
            fulfilment: c.fulfilment,
            manualGroup: c.manualGroup,
            price: priceOf(c),
          })),
      }));
      return reply.header('x-total-count', body.length).send(body);
    },
  );
};
