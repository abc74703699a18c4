/**
 * Cases and trouble tickets (seed 003, 5.3.4; TMF621's resource name): entry, reading, and each
 * life-cycle command as an update on the case's workflow. A customer key sees only its own
 * cases (another's is a 404, as if it did not exist).
 */
import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { caseCommandBodies, ticketRequest, type CaseCommandBody, type CaseCommandRequest } from '../../domain/case-commands.js';
import { caseCommandEvent, caseCommandVerdict, closedCaseStatuses, type CaseCommand } from '../../domain/cases.js';
import { caseIdPattern, caseKinds, caseSeverities, caseStatuses, type Role } from '../../domain/vocabulary.js';
import { customerId, groupName } from '../../domain/values.js';
import { caseView, type CaseView } from '../../domain/views.js';
import type { Db } from '../../db/client.js';
import { caseEvents, cases } from '../../db/schema.js';
import { listCases, loadCaseView } from '../../db/views.js';
import { caseCommandUpdate, caseWorkflowId } from '../../workflows/case.contract.js';
import type { Principal } from '../auth.js';
import { caseIdFor, checkProduct, checkTriage, submitCase } from '../case-entry.js';
import { commandDigest, commandUpdateId, giveAgain, idempotencyKeyHeader, runCommand, sameRequest } from '../commands.js';
import { DomainError, commonErrorResponses, errorBody } from '../errors.js';
import { refuseReusedKey, requestHashOf, resolveCustomer, sendEntryAnswer } from '../order-entry.js';
import { listQuery, sendPage } from '../paging.js';

const caseIdParam = z.object({ id: z.string().regex(caseIdPattern, 'a case id such as TT-0123456789ABCDEF') });
const readers = ['agent', 'customer', 'backoffice', 'support', 'admin'] as const;
const casePending = z
  .object({ id: z.string(), message: z.string() })
  .meta({ id: 'TroubleTicketPending', description: 'Accepted, not yet written: read the case at the Location' });

/** Who may give each command (seed 003: the owner resolves, the customer agrees or disagrees). */
const commandRoles: Record<CaseCommand, readonly Role[]> = {
  open: ['agent', 'backoffice', 'admin'],
  pending: ['agent', 'backoffice', 'admin'],
  resume: ['agent', 'backoffice', 'admin'],
  resolve: ['agent', 'backoffice', 'admin'],
  close: ['customer', 'agent', 'admin'],
  reopen: ['customer', 'agent', 'admin'],
  cancel: ['agent', 'customer', 'backoffice', 'admin'],
  notes: ['agent', 'customer', 'backoffice', 'support', 'admin'],
  triage: ['agent', 'backoffice', 'admin'],
};

export async function visibleCase(db: Db, principal: Principal, id: string): Promise<CaseView> {
  const found = await loadCaseView(db, id);
  if (!found || (principal.role === 'customer' && found.customerId !== principal.customerId))
    throw new DomainError('CASE_NOT_FOUND', `No case ${id}`);
  return found;
}

export const troubleTicketRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, temporal } = app;

  app.post(
    '/troubleTickets',
    {
      config: { roles: ['agent', 'customer', 'backoffice'] },
      schema: {
        tags: ['troubleTickets'],
        summary: 'Enter a case: customer and contact found or registered; it starts gathering information',
        headers: idempotencyKeyHeader,
        body: ticketRequest,
        response: { 200: caseView, 201: caseView, 202: casePending, 422: errorBody, ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const { principal, body } = request;
      if (principal.role === 'customer') {
        if (!('id' in body.customer && body.customer.id === principal.customerId))
          throw new DomainError(
            'FORBIDDEN',
            `A customer key reports for its own customer: send customer { "id": "${principal.customerId}" }`,
          );
        if (body.origin !== 'external') throw new DomainError('FORBIDDEN', 'A customer reports external cases');
      }
      if (principal.role === 'backoffice' && body.origin !== 'internal')
        throw new DomainError('FORBIDDEN', 'Back office enters internal cases: send origin "internal"');
      const idempotencyKey = request.headers['idempotency-key'];
      const customer = await resolveCustomer(db, body);
      await checkProduct(db, body, customer);
      const id = caseIdFor(customer, body, idempotencyKey, principal.keyId);
      const keyRef = idempotencyKey ? `${principal.keyId}:${idempotencyKey}` : null;
      await refuseReusedKey(db, cases, keyRef, id, requestHashOf(body), idempotencyKey, 'case');
      const location = `/api/v1/troubleTickets/${id}`;
      const [existing] = await db.select({ id: cases.id }).from(cases).where(eq(cases.id, id));
      if (existing)
        return reply
          .code(200)
          .header('location', location)
          .send((await loadCaseView(db, id))!);
      const answer = await submitCase({ client: temporal.client, ...app.cases }, id, customer, body, {
        idempotencyKey: keyRef,
        createdBy: `${principal.role}:${principal.keyId}`,
      });
      return sendEntryAnswer(reply, answer, { id, what: 'Case', location, view: () => loadCaseView(db, id) });
    },
  );

  app.get(
    '/troubleTickets',
    {
      config: { roles: readers },
      schema: {
        tags: ['troubleTickets'],
        summary: 'Cases, newest first',
        querystring: listQuery({
          status: z.enum(caseStatuses).optional(),
          kind: z.enum(caseKinds).optional(),
          group: groupName.optional(),
          customerId: customerId.optional(),
          severity: z.enum(caseSeverities).optional(),
        }),
        response: { 200: z.array(caseView), ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const customer = request.principal.role === 'customer' ? request.principal.customerId! : q.customerId;
      return sendPage(reply, await listCases(db, { ...q, customerId: customer }, q));
    },
  );

  app.get(
    '/troubleTickets/:id',
    {
      config: { roles: readers },
      schema: {
        tags: ['troubleTickets'],
        summary: 'One case: status and its history, notes, assignment, escalations',
        params: caseIdParam,
        response: { 200: caseView, 404: errorBody, ...commonErrorResponses },
      },
    },
    async (request) => visibleCase(db, request.principal, request.params.id),
  );

  /**
   * Whether the change that set the case's status was this request (a resend of one taken): the
   * number the workflow gave its event, which is the count of events the request read before, or
   * undefined. Events that name no command are from before they did, and are compared without it.
   */
  async function setTheStatus(caseId: string, r: CaseCommandRequest): Promise<number | undefined> {
    const event = caseCommandEvent(r);
    if (event.kind === 'note') return undefined;
    const changes = await db
      .select({ id: caseEvents.id, kind: caseEvents.kind, actor: caseEvents.actor, details: caseEvents.details, at: caseEvents.at })
      .from(caseEvents)
      .where(and(eq(caseEvents.caseId, caseId), inArray(caseEvents.kind, ['status', 'triage'])));
    // The workflow numbers its events (`<case id>:<n>`): the number orders two written at one instant.
    const number = (id: string) => Number(id.slice(id.lastIndexOf(':') + 1));
    const latest = changes.sort((x, y) => x.at.getTime() - y.at.getTime() || number(x.id) - number(y.id)).at(-1);
    if (!latest || latest.kind !== event.kind || latest.actor !== r.actor) return undefined;
    const named = 'command' in latest.details ? event.details : { ...event.details, command: undefined };
    return sameRequest(latest.details, named) ? number(latest.id) : undefined;
  }

  for (const command of Object.keys(caseCommandBodies) as CaseCommand[]) {
    app.post(
      `/troubleTickets/:id/${command}`,
      {
        config: { roles: commandRoles[command] },
        schema: {
          tags: ['troubleTickets'],
          summary: `Case command: ${command}; 409 when the case's status does not take it`,
          params: caseIdParam,
          headers: idempotencyKeyHeader,
          body: caseCommandBodies[command],
          response: { 200: caseView, 404: errorBody, 409: errorBody, 422: errorBody, ...commonErrorResponses },
        },
      },
      async (request) => {
        const { principal } = request;
        const found = await visibleCase(db, principal, request.params.id);
        const body = (request.body ?? {}) as Record<string, unknown>;
        const actor = `${principal.role}:${principal.keyId}`;
        const caseCommand = { ...body, command, actor } as CaseCommandRequest;
        // Pending, resume, pending again is a case's ordinary life, and so is a note added twice: the
        // case's events so far (as read before sending) tell the second request from the first.
        const commandRequest = {
          name: command,
          subject: found.id,
          request: { ...body, actor },
          revision: found.history.length,
          idempotencyKey: request.headers['idempotency-key'],
          caller: principal.keyId,
        };
        const send = (revision: number) =>
          temporal.client.workflow
            .getHandle(caseWorkflowId(found.id))
            .executeUpdate(caseCommandUpdate, { args: [caseCommand], updateId: commandUpdateId({ ...commandRequest, revision }) });
        await runCommand(
          async () => {
            // The owner resolves: a back-office key only for a case in one of its groups.
            if (principal.role === 'backoffice' && found.ownerGroup && !principal.groups.includes(found.ownerGroup))
              throw new DomainError('NOT_IN_GROUP', `Case ${found.id} is with ${found.ownerGroup}, which this key is not in`);
            // A closed case's workflow has ended: its row answers by the same rule.
            const verdict = caseCommandVerdict({ caseId: found.id, status: found.status, kind: found.kind }, command);
            if (!verdict.ok && (closedCaseStatuses.includes(found.status) || verdict.code === 'TRIAGE_NOT_FOR_KIND'))
              throw new DomainError(verdict.code, verdict.message);
            if (command === 'triage') await checkTriage(db, found, body as CaseCommandBody<'triage'>);
            // Notes are taken at any time; on a closed case (its workflow ended) the API writes them, under
            // an id of the request's own, so the same note sent again (or at once) is one row.
            if (command === 'notes' && closedCaseStatuses.includes(found.status)) {
              const { text } = body as CaseCommandBody<'notes'>;
              await db
                .insert(caseEvents)
                .values({
                  id: `${found.id}:note:${commandDigest(commandRequest)}`,
                  caseId: found.id,
                  kind: 'note',
                  at: new Date(),
                  actor,
                  details: { text },
                })
                .onConflictDoNothing();
              return;
            }
            await send(found.history.length);
          },
          async () => {
            const taken = await setTheStatus(found.id, caseCommand);
            if (taken === undefined) return false;
            // Under the first request's update id (it read the events before the one it made). A
            // case its rows call closed or cancelled refuses every command by them: a close or
            // cancel the workflow lost would reach it no other way.
            await giveAgain(() => send(taken));
            return true;
          },
        );
        return (await loadCaseView(db, found.id))!;
      },
    );
  }

  app.post(
    '/troubleTickets/:id/satisfaction',
    {
      config: { roles: ['customer', 'agent'] },
      schema: {
        tags: ['troubleTickets'],
        summary: "The customer's satisfaction with a closed case, once (an agent may record it on the customer's behalf)",
        params: caseIdParam,
        body: z.object({ score: z.number().int().min(1).max(5), comment: z.string().min(1).max(2000).optional() }).strict(),
        response: { 200: caseView, 404: errorBody, 409: errorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const { principal, body } = request;
      const found = await visibleCase(db, principal, request.params.id);
      if (found.status !== 'closed')
        throw new DomainError('CASE_STATUS_CONFLICT', `Case ${found.id} is ${found.status}: satisfaction is asked once it is closed`);
      const by = `${principal.role}:${principal.keyId}`;
      const at = new Date();
      const satisfaction = { score: body.score, comment: body.comment ?? null };
      const taken = await db.transaction(async (tx) => {
        const [row] = await tx
          .update(cases)
          .set({ satisfaction: { ...satisfaction, by, at: at.toISOString() }, updatedAt: at })
          .where(and(eq(cases.id, found.id), isNull(cases.satisfaction)))
          .returning({ id: cases.id });
        if (row)
          await tx
            .insert(caseEvents)
            .values({ id: `${found.id}:satisfaction`, caseId: found.id, kind: 'satisfaction', at, actor: by, details: satisfaction });
        return row !== undefined;
      });
      const now = (await loadCaseView(db, found.id))!;
      // The same answer sent again by the same caller is answered as the first was.
      const given = now.satisfaction;
      if (!taken && !(given?.by === by && sameRequest({ score: given.score, comment: given.comment }, satisfaction)))
        throw new DomainError('SATISFACTION_ALREADY_GIVEN', `Case ${found.id} already has the customer's satisfaction`);
      return now;
    },
  );
};
