/**
 * The served OpenAPI describes what the API really answers: a real order and a real task, read
 * over HTTP, are walked field by field against their operation's response schema. Every field
 * must be declared, with a type its value has, so a client generated from the document knows it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datahost } from '../../catalog/datahost.js';
import { bearer, eventually, startTestPlatform, type TestPlatform } from '../support/platform.js';

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
};

let p: TestPlatform;
let spec: {
  paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: Schema }> }> }>>;
  components: { schemas: Record<string, Schema> };
};
beforeAll(async () => {
  p = await startTestPlatform();
  spec = (await p.app.inject({ method: 'GET', url: '/docs/json' })).json();
});
afterAll(() => p?.close());

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);

/** Where `value` departs from `schema`: undeclared fields, fields without a type, wrong types. */
function departures(value: unknown, schema: Schema, path: string): string[] {
  if (schema.$ref) return departures(value, spec.components.schemas[schema.$ref.replace('#/components/schemas/', '')]!, path);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) {
    const fits = alternatives.map((s) => departures(value, s, path));
    return fits.some((f) => f.length === 0)
      ? []
      : [`${path}: fits none of its ${alternatives.length} alternatives (${fits.map((f) => f[0]).join(' | ')})`];
  }
  if (schema.allOf) return schema.allOf.flatMap((s) => departures(value, s, path));
  if (schema.enum) return schema.enum.includes(value) ? [] : [`${path}: ${JSON.stringify(value)} is not in its enum`];
  if ('const' in schema) return schema.const === value ? [] : [`${path}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`];
  if (schema.type === undefined) return [`${path}: described without a type`];
  const types = [schema.type].flat();
  const actual = typeOf(value);
  if (!types.includes(actual) && !(actual === 'integer' && types.includes('number')))
    return [`${path}: is ${actual}, described as ${types.join('|')}`];
  if (actual === 'array') return (value as unknown[]).flatMap((item, i) => departures(item, schema.items ?? {}, `${path}[${i}]`));
  if (actual !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, v]) => {
    const declared =
      schema.properties?.[key] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (!declared) return [`${path}.${key}: not described`];
    // A free-form record (task input, outcome, audit details) is described as an object of any values.
    if (!schema.properties?.[key] && Object.keys(declared).length === 0) return [];
    return departures(v, declared, `${path}.${key}`);
  });
}

const responseSchema = (path: string) => spec.paths[path]!.get!.responses['200']!.content['application/json']!.schema;

describe('the served OpenAPI', () => {
  it('describes every field of a real GET /productOrders/{id} and GET /tasks/{id}, with its type', async () => {
    const agent = bearer(await p.keyFor('agent'));
    const admin = bearer(p.adminKey);
    const id = await p.enterOrder(agent, {
      taxId: `OAS-${Date.now()}`,
      components: datahost.components.filter((c) => !c.mandatory).map((c) => c.id),
      configuration: { domainName: 'esquema.example' },
    });
    // Once the manual tasks are open, the order shows open tasks and a task has an audit trail.
    const order = await eventually(
      async () => (await p.app.inject({ method: 'GET', url: `/api/v1/productOrders/${id}`, headers: agent })).json(),
      (o) => o.openTasks.length === 2,
    );
    expect(order.openTasks).toHaveLength(2);
    const task = (await p.app.inject({ method: 'GET', url: `/api/v1/tasks/${order.openTasks[0].id}`, headers: admin })).json();
    expect(task.events.length).toBeGreaterThan(0);

    expect(departures(order, responseSchema('/api/v1/productOrders/{id}'), 'order')).toEqual([]);
    expect(departures(task, responseSchema('/api/v1/tasks/{id}'), 'task')).toEqual([]);
  });

  it('documents the 422 for a reused Idempotency-Key on every operation that takes one', () => {
    type Operation = { parameters?: { in: string; name: string }[]; responses: Record<string, unknown> };
    const keyed = Object.entries(spec.paths as unknown as Record<string, Record<string, Operation>>).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.parameters?.some((q) => q.in === 'header' && q.name === 'idempotency-key'))
        .map(([method, op]) => ({ operation: `${method} ${path}`, op })),
    );
    // Entry of orders, cases and recalls, task actions, acknowledgements, cancel requests, case and recall commands.
    expect(keyed.length).toBeGreaterThan(20);
    expect(keyed.filter(({ op }) => !('422' in op.responses)).map((k) => k.operation)).toEqual([]);
  });

  it('finds an undescribed field and a wrong type (the check can fail)', () => {
    const schema: Schema = { type: 'object', properties: { id: { type: 'string' } } };
    expect(departures({ id: 1, extra: 'x' }, schema, 'x')).toEqual(['x.id: is integer, described as string', 'x.extra: not described']);
    expect(departures({ id: 'a' }, { type: 'object', properties: { id: {} } }, 'x')).toEqual(['x.id: described without a type']);
  });
});
