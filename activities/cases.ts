/**
 * The rows a case workflow owns: the case (entered with its customer and contact), its changes
 * and their audit events. Every change carries an event id the workflow derives, so a retried
 * write changes nothing twice.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { calendars, caseEvents, cases, escalationRules, slaDefinitions } from '../db/schema.js';
import { entryGroups, escalationRuleFor, type EscalationLevel } from '../domain/cases.js';
import type { SubmitCase } from '../domain/case-commands.js';
import { slaClocks, slaMetrics, type Calendar, type SlaClock, type SlaDefinition } from '../domain/sla.js';
import type { CaseEventKind, CaseStatus } from '../domain/vocabulary.js';
import { enterCustomerAndContact } from './customers.js';
import { conflictIsFinal } from './database.js';

export interface CaseChange {
  caseId: string;
  /** `<caseId>:<n>`: the n-th change the workflow made. */
  eventId: string;
  /** On the workflow's clock. */
  at: string;
  kind: CaseEventKind;
  actor: string;
  details: Record<string, unknown>;
  status?: CaseStatus;
  ownerGroup?: string | null;
  escalation?: { level: number; group: string; at: string };
  triage?: { answers: { questionId: string; answer: string }[]; solved: boolean; by: string; at: string };
  resolution?: string | null;
  sla?: SlaClock[];
}

/** What a case fixes when it is entered: its escalation rule and its SLA targets with their calendars. */
export interface CaseTerms {
  customerId: string;
  /** When the case was entered, on the workflow's clock: its clocks and ladder count from then. */
  enteredAt: string;
  escalationRule: { id: string; levels: EscalationLevel[] } | null;
  sla: { definitions: SlaDefinition[]; calendars: Calendar[] };
}

export function caseActivities(db: Db) {
  return {
    /**
     * Case entry: the customer and contact found or entered, the case written (gatheringInfo)
     * with the escalation rule that applies now, fixed for the case's life. Idempotent.
     */
    async recordCase(s: SubmitCase, enteredAt: string): Promise<CaseTerms> {
      return conflictIsFinal(
        () =>
          db.transaction(async (tx) => {
            const definitions = (
              await tx
                .select()
                .from(slaDefinitions)
                .where(and(eq(slaDefinitions.kind, s.kind), eq(slaDefinitions.severity, s.severity)))
            ).sort((a, b) => slaMetrics.indexOf(a.metric) - slaMetrics.indexOf(b.metric));
            const used = [...new Set(definitions.map((d) => d.calendarId))];
            const sla = { definitions, calendars: used.length ? await tx.select().from(calendars).where(inArray(calendars.id, used)) : [] };
            const [existing] = await tx
              .select({ customerId: cases.customerId, escalationRule: cases.escalationRule, createdAt: cases.createdAt })
              .from(cases)
              .where(eq(cases.id, s.caseId));
            if (existing) return { ...existing, enteredAt: existing.createdAt.toISOString(), sla };
            const { customerId, contactId } = await enterCustomerAndContact(tx, s);
            const rule = escalationRuleFor(await tx.select().from(escalationRules), s);
            const escalationRule = rule ? { id: rule.id, levels: [...rule.levels].sort((a, b) => a.level - b.level) } : null;
            const now = new Date(enteredAt);
            await tx.insert(cases).values({
              id: s.caseId,
              kind: s.kind,
              origin: s.origin,
              channel: s.channel,
              severity: s.severity,
              customerId,
              contactId,
              productId: s.productId ?? null,
              symptom: s.symptom ?? null,
              relatedOrderId: s.relatedOrderId ?? null,
              invoiceId: s.invoiceId ?? null,
              description: s.description,
              status: 'gatheringInfo',
              ownerGroup: entryGroups[s.kind],
              escalationRule,
              sla: slaClocks(sla, now.getTime()).snapshot(),
              externalId: s.externalId,
              requestHash: s.requestHash,
              idempotencyKey: s.idempotencyKey,
              createdBy: s.createdBy,
              createdAt: now,
              updatedAt: now,
            });
            await tx.insert(caseEvents).values({
              id: `${s.caseId}:0`,
              caseId: s.caseId,
              kind: 'status',
              at: now,
              actor: s.createdBy,
              details: { to: 'gatheringInfo', channel: s.channel },
            });
            return { customerId, enteredAt, escalationRule, sla };
          }),
        `Case ${s.caseId}`,
        'CASE_CONFLICT',
      );
    },

    /** One change of the case and its audit event, once: a repeat of the event id changes nothing. */
    async recordCaseChange(c: CaseChange): Promise<void> {
      await db.transaction(async (tx) => {
        const at = new Date(c.at);
        const [recorded] = await tx
          .insert(caseEvents)
          .values({ id: c.eventId, caseId: c.caseId, kind: c.kind, at, actor: c.actor, details: c.details })
          .onConflictDoNothing()
          .returning({ id: caseEvents.id });
        if (!recorded) return;
        await tx
          .update(cases)
          .set({
            updatedAt: at,
            ...(c.status ? { status: c.status } : {}),
            ...(c.status === 'resolved' ? { resolvedAt: at } : {}),
            // Reopened: not resolved any more (the SLA report counts the last resolution).
            ...(c.status === 'open' || c.status === 'pending' ? { resolvedAt: null } : {}),
            ...(c.status === 'closed' || c.status === 'cancelled' ? { closedAt: at } : {}),
            ...(c.ownerGroup !== undefined ? { ownerGroup: c.ownerGroup } : {}),
            ...(c.triage ? { triage: c.triage } : {}),
            ...(c.resolution !== undefined ? { resolution: c.resolution } : {}),
            ...(c.sla ? { sla: c.sla } : {}),
            ...(c.escalation
              ? {
                  escalationLevel: c.escalation.level,
                  escalations: sql`${cases.escalations} || ${JSON.stringify([c.escalation])}::jsonb`,
                }
              : {}),
          })
          .where(and(eq(cases.id, c.caseId)));
      });
    },
  };
}
