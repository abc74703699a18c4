/**
 * Read models as the API shows them: the loaders in db/ are typed against these schemas and the
 * routes answer with them, so the served OpenAPI describes every field a GET returns.
 */
import { z } from 'zod';
import {
  cancellationStates,
  fulfilments,
  milestoneNames,
  milestoneStatuses,
  orderStates,
  rfbStatuses,
  serviceStates,
  subjectTypes,
  taskKinds,
  taskStatuses,
} from './vocabulary.js';
import { customerId, falloutPolicy, groupName, orderId, price, record, taskId, timestamp } from './values.js';
import { falloutCauses, falloutSteps } from './fallout.js';
import { caseChannels, caseEventKinds, caseKinds, caseOrigins, caseSeverities, caseStatuses } from './vocabulary.js';
import {
  effectivenessLevels,
  hazardConsequences,
  hazardLikelihoods,
  noticeResponses,
  noticeUrgencies,
  recallClasses,
  recallStatuses,
} from './vocabulary.js';

export const milestoneRecord = z
  .object({
    status: z.enum(milestoneStatuses),
    at: timestamp.nullable(),
    deadline: timestamp.nullable().optional(),
    deadlineMissed: z.boolean().optional().describe('Set when the milestone finished after its deadline, or the deadline passed first'),
    detail: z.string().optional().describe('E.g. why a customer rejected an acceptance'),
  })
  .meta({ id: 'Milestone' });

export const taskEventView = z.object({ action: z.string(), actor: z.string(), at: timestamp, details: record.nullable() });

export const taskView = z
  .object({
    id: taskId,
    kind: z.enum(taskKinds),
    subjectType: z.enum(subjectTypes),
    subjectId: z.string().describe('The order, case or recall id'),
    group: groupName,
    assignee: z.string().nullable(),
    status: z.enum(taskStatuses),
    version: z.number().int().describe('1 when opened, one more with every change'),
    priority: z.number().int().describe('1 is the most urgent'),
    title: z.string(),
    dueAt: timestamp.nullable(),
    input: record.describe('What the task is about, per kind'),
    outcome: record.nullable().describe('Per task kind, once completed'),
    createdAt: timestamp,
    updatedAt: timestamp,
    events: z.array(taskEventView).describe('The audit trail: every action with its actor'),
  })
  .meta({ id: 'Task' });
export type TaskView = z.infer<typeof taskView>;

export const orderTaskSummary = taskView.pick({
  id: true,
  kind: true,
  group: true,
  status: true,
  assignee: true,
  title: true,
  dueAt: true,
});

export const rfbSummary = z.object({
  id: z.string(),
  phase: z.number().int(),
  status: z.enum(rfbStatuses),
  sentAt: timestamp,
  acknowledgedAt: timestamp.nullable(),
});

export const orderView = z
  .object({
    id: orderId,
    externalId: z.string().nullable(),
    customerId,
    contactId: z.uuid(),
    state: z.enum(orderStates),
    currency: z.string(),
    totals: price,
    items: z.array(
      z.object({
        id: z.string(),
        offeringId: z.string(),
        quantity: z.number().int(),
        componentIds: z.array(z.string()),
        configuration: z.record(z.string(), z.string()),
        price,
      }),
    ),
    milestones: z.object(
      Object.fromEntries(milestoneNames.map((m) => [m, milestoneRecord])) as Record<
        (typeof milestoneNames)[number],
        typeof milestoneRecord
      >,
    ),
    openTasks: z.array(orderTaskSummary),
    readyForBilling: z.array(rfbSummary),
    billing: z.object({
      billingAccountId: z.string().nullable(),
      cycleStartDate: z.string().nullable(),
      cycleEndDate: z.string().nullable().describe('Set when a cancellation stopped the billing cycle'),
    }),
    services: z.array(z.object({ id: z.string(), componentId: z.string(), state: z.enum(serviceStates) })),
    submittedAt: timestamp,
    completedAt: timestamp.nullable(),
  })
  .meta({ id: 'ProductOrder', description: 'Items, totals, TMF622 state, milestones, open tasks, RFBs and services' });
export type OrderView = z.infer<typeof orderView>;

/** What billing receives: everything it needs to start the cycle. */
export const readyForBillingPayload = z.object({
  rfbId: z.string(),
  orderId,
  phase: z.number().int(),
  customer: z.object({ id: customerId, name: z.string(), taxId: z.string() }),
  billingAccountId: z.string().nullable(),
  currency: z.string(),
  items: z.array(
    z.object({
      offeringId: z.string(),
      componentIds: z.array(z.string()),
      quantity: z.number().int(),
      oneTimeCents: z.number().int(),
      recurringCents: z.number().int(),
    }),
  ),
  oneTimeCents: z.number().int(),
  recurringCents: z.number().int(),
  startDate: z.iso.date(),
});
export type ReadyForBilling = z.infer<typeof readyForBillingPayload>;

export const rfbView = z
  .object({
    id: z.string(),
    orderId,
    phase: z.number().int(),
    status: z.enum(rfbStatuses),
    payload: readyForBillingPayload,
    sentAt: timestamp,
    acknowledgedAt: timestamp.nullable(),
    billingAccountId: z.string().nullable(),
    cycleStartDate: z.string().nullable(),
    cycleEndDate: z.string().nullable().describe('A withdrawn RFB whose cycle had started: its last day'),
    reason: z.string().nullable(),
  })
  .meta({ id: 'ReadyForBilling' });
export type RfbView = z.infer<typeof rfbView>;

export const serviceView = z
  .object({
    id: z.string(),
    orderId,
    customerId,
    offeringId: z.string(),
    componentId: z.string(),
    state: z.enum(serviceStates),
    activatedAt: timestamp.nullable(),
  })
  .meta({ id: 'Service', description: 'A service instance in the inventory (TMF638-style)' });
export type ServiceView = z.infer<typeof serviceView>;

export const notificationView = z
  .object({
    id: z.string(),
    kind: z.string(),
    recipient: z.string().describe('group:<name>, customer:<id> or person:<key id>'),
    subjectType: z.enum(subjectTypes),
    subjectId: z.string(),
    message: z.string(),
    createdAt: timestamp,
  })
  .meta({ id: 'Notification' });
export type NotificationView = z.infer<typeof notificationView>;

export const cancelRequestView = z
  .object({
    id: z.string().describe("CXL- followed by the order id's hex part: one cancel request per order"),
    productOrder: z.object({ id: orderId }),
    cancellationReason: z.string(),
    requestedBy: z.string(),
    state: z.enum(cancellationStates),
    error: z.string().nullable(),
    requestedAt: timestamp,
    completedAt: timestamp.nullable(),
  })
  .meta({ id: 'CancelProductOrder', description: 'A TMF622 cancel request: acknowledged, inProgress, done or terminatedWithError' });
export type CancelRequestView = z.infer<typeof cancelRequestView>;

/** A component as the activation simulator holds it: what compensation must leave inactive. */
export const heldComponentView = z
  .object({ key: z.string(), orderId, componentId: z.string(), state: z.enum(['active', 'inactive']) })
  .meta({ id: 'SimulatedActivation' });
export type HeldComponentView = z.infer<typeof heldComponentView>;

/** An RFB as the billing simulator holds it: a cancelled order must leave no cycle running. */
export const billedRfbView = z
  .object({
    rfbId: z.string(),
    orderId,
    phase: z.number().int(),
    componentIds: z.array(z.string()),
    state: z.enum(['received', 'acknowledged', 'withdrawn']),
    cycle: z.enum(['notStarted', 'running', 'stopped']),
  })
  .meta({ id: 'SimulatedBilling' });
export type BilledRfbView = z.infer<typeof billedRfbView>;

export const catalogProduct = z
  .object({
    id: z.string(),
    family: z.string(),
    name: z.string(),
    description: z.string(),
    currency: z.string(),
    price,
    components: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        mandatory: z.boolean(),
        fulfilment: z.enum(fulfilments),
        manualGroup: groupName.nullable(),
        price,
      }),
    ),
    symptoms: z.array(z.object({ id: z.string(), name: z.string() })).describe('What a defect case about this product may name'),
    triageQuestions: z.array(z.object({ id: z.string(), text: z.string() })).describe("The first level's triage list for defects"),
  })
  .meta({ id: 'CatalogProduct' });

export const falloutPolicyView = z
  .object({
    id: z.string().describe('<step>.<errorCode>, e.g. activation.ACTIVATION_FAILED'),
    step: z.enum(falloutSteps),
    errorCode: z.enum(Object.values(falloutCauses).flat() as [string, ...string[]]),
    first: falloutPolicy,
    second: falloutPolicy.describe('Applies once the first policy, a retry, has spent its retries'),
    description: z.string(),
    updatedBy: z.string().nullable(),
    updatedAt: timestamp,
  })
  .meta({ id: 'FalloutPolicyRow', description: 'What the order flow does when a step fails this way; read by each step as it starts' });
export type FalloutPolicyView = z.infer<typeof falloutPolicyView>;

const escalationLevel = z.object({ level: z.number().int(), group: z.string(), after: z.string().describe('ISO 8601 duration, e.g. P7D') });

export const caseView = z
  .object({
    id: z.string(),
    kind: z.enum(caseKinds),
    origin: z.enum(caseOrigins),
    channel: z.enum(caseChannels),
    severity: z.enum(caseSeverities),
    customerId,
    contactId: z.uuid(),
    productId: z.string().nullable(),
    symptom: z.string().nullable(),
    relatedOrderId: z.string().nullable(),
    invoiceId: z.string().nullable(),
    description: z.string(),
    status: z.enum(caseStatuses),
    ownerGroup: z.string().nullable().describe("The group whose inbox holds the case's task"),
    openTask: z.object({ id: taskId, group: z.string(), assignee: z.string().nullable(), status: z.enum(taskStatuses) }).nullable(),
    escalationLevel: z.number().int(),
    escalations: z.array(z.object({ level: z.number().int(), group: z.string(), at: timestamp })),
    escalationRule: z
      .object({ id: z.string(), levels: z.array(escalationLevel) })
      .nullable()
      .describe('Fixed when the case was entered'),
    triage: z
      .object({
        answers: z.array(z.object({ questionId: z.string(), answer: z.string() })),
        solved: z.boolean(),
        by: z.string(),
        at: timestamp,
      })
      .nullable(),
    resolution: z.string().nullable(),
    sla: z
      .array(
        z.object({
          metric: z.enum(['response', 'resolution']),
          target: z.string().describe('ISO 8601 working time in the calendar'),
          level: z.enum(['CSL', 'SLO']).describe('CSL: penalised when missed; SLO: an objective'),
          calendarId: z.string(),
          running: z.boolean(),
          elapsedMs: z.number().describe('Working time counted so far'),
          pausedMs: z.number().describe('Time the clock stood still, waiting on the customer'),
          due: timestamp.nullable().describe('When the target falls due, while the clock runs'),
          warnings: z.array(z.object({ percent: z.number(), at: timestamp })),
          result: z.enum(['met', 'breached']).nullable(),
          breachedAt: timestamp.nullable(),
          stoppedAt: timestamp.nullable(),
        }),
      )
      .describe('Response and resolution clocks, fixed at entry'),
    satisfaction: z.object({ score: z.number().int(), comment: z.string().nullable(), by: z.string(), at: timestamp }).nullable(),
    notes: z.array(z.object({ text: z.string(), by: z.string(), at: timestamp })),
    history: z.array(z.object({ kind: z.enum(caseEventKinds), at: timestamp, actor: z.string(), details: record })),
    createdAt: timestamp,
    updatedAt: timestamp,
    resolvedAt: timestamp.nullable(),
    closedAt: timestamp.nullable(),
  })
  .meta({ id: 'TroubleTicket', description: 'A case: status and its history, notes, assignment, escalations' });
export type CaseView = z.infer<typeof caseView>;

export const escalationRuleView = z
  .object({
    id: z.string(),
    kind: z.enum(caseKinds),
    productId: z.string().nullable(),
    symptom: z.string().nullable(),
    levels: z.array(escalationLevel),
    description: z.string(),
    updatedBy: z.string().nullable(),
    updatedAt: timestamp,
  })
  .meta({ id: 'EscalationRule', description: 'By kind, and for defects product and symptom: the most specific wins' });
export type EscalationRuleView = z.infer<typeof escalationRuleView>;

export const slaReportRow = z
  .object({
    kind: z.enum(caseKinds),
    severity: z.enum(caseSeverities),
    cases: z.number().int().describe('Cases entered in the period'),
    targetsDecided: z.number().int().describe('Response and resolution targets with a result'),
    percentMet: z.number().nullable(),
    breaches: z.object({ csl: z.number().int().describe('Penalised'), slo: z.number().int() }),
    resolved: z.number().int(),
    meanResolveMs: z.number().nullable().describe('From entry to (last) resolution, wall-clock'),
    p90ResolveMs: z.number().nullable(),
    escalationsPerLevel: z.record(z.string(), z.number().int()),
    satisfaction: z.object({
      average: z.number().nullable().describe('Mean score, 1 to 5'),
      responseRate: z.number().nullable().describe('Percent of closed cases with an answer'),
    }),
  })
  .meta({ id: 'SlaReportRow' });
export type SlaReportRow = z.infer<typeof slaReportRow>;

export const recallView = z
  .object({
    id: z.string(),
    productId: z.string(),
    componentId: z.string().nullable(),
    reason: z.string(),
    hazard: z.string(),
    instructions: z.string(),
    scope: z.object({
      activatedFrom: z.string().optional(),
      activatedTo: z.string().optional(),
      serviceIds: z.array(z.string()).optional(),
    }),
    status: z.enum(recallStatuses),
    recallClass: z.enum(recallClasses).nullable(),
    assessment: z
      .object({
        likelihood: z.enum(hazardLikelihoods),
        consequence: z.enum(hazardConsequences),
        class: z.enum(recallClasses),
        rationale: z.string().nullable(),
        by: z.string(),
        at: timestamp,
      })
      .nullable(),
    terms: z
      .object({
        effectivenessLevel: z.enum(effectivenessLevels),
        effectivenessTargetPercent: z.number(),
        noticeUrgency: z.enum(noticeUrgencies),
        reminderEvery: z.string(),
        reportEvery: z.string(),
      })
      .nullable()
      .describe("The class's terms as they were at the assessment"),
    counts: z.object({
      affected: z.number().int().describe('Parties (customers) holding an affected instance'),
      notified: z.number().int(),
      responded: z.number().int().describe('Parties that answered'),
      remedied: z.number().int().describe('Parties that returned or remedied'),
      declined: z.number().int().describe('Parties that declined: reached, but no effectiveness check'),
    }),
    affectedInstances: z.number().int(),
    effectiveness: z.object({
      notifiedPercent: z.number(),
      respondedPercent: z.number(),
      remediedPercent: z.number(),
      checkedPercent: z.number().describe('Effectiveness checks done (every answer but a refusal) against the affected'),
      targetPercent: z.number().nullable(),
      targetMet: z.boolean(),
    }),
    openTasks: z.array(
      z.object({ id: taskId, kind: z.enum(taskKinds), group: z.string(), assignee: z.string().nullable(), status: z.enum(taskStatuses) }),
    ),
    notifyingFrom: timestamp.nullable(),
    notifiedAt: timestamp.nullable().describe('When the last notice went out'),
    nextReminderAt: timestamp.nullable(),
    nextReportAt: timestamp.nullable(),
    termination: z
      .object({
        requestedBy: z.string(),
        reason: z.string(),
        at: timestamp,
        decision: z.object({ approved: z.boolean(), by: z.string(), rationale: z.string().nullable(), at: timestamp }).optional(),
      })
      .nullable(),
    terminatedAt: timestamp.nullable(),
    cancellation: z.object({ by: z.string(), reason: z.string(), at: timestamp }).nullable(),
    createdBy: z.string(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Recall', description: 'A product recall: status, class and its terms, counts and effectiveness' });
export type RecallView = z.infer<typeof recallView>;

export const recallNoticeView = z
  .object({
    id: z.string(),
    recallId: z.string(),
    customerId,
    quantity: z.number().int().describe('Affected instances the party holds'),
    method: z.string().nullable(),
    sentAt: timestamp.nullable(),
    reminders: z.number().int(),
    lastRemindedAt: timestamp.nullable(),
    retractedAt: timestamp.nullable(),
    response: z.enum(noticeResponses).nullable().describe('The latest answer (a remedy stands)'),
    respondedAt: timestamp.nullable(),
    responses: z.array(
      z.object({ response: z.enum(noticeResponses), quantity: z.number().int().nullable(), by: z.string(), at: timestamp }),
    ),
  })
  .meta({ id: 'RecallNotice' });
export type RecallNoticeView = z.infer<typeof recallNoticeView>;

export const recallReportView = z
  .object({
    id: z.string(),
    recallId: z.string(),
    number: z.number().int(),
    final: z.boolean(),
    at: timestamp,
    filedAt: timestamp.nullable(),
    regulatorReference: z.string().nullable(),
    figures: record,
  })
  .meta({ id: 'RecallReport', description: 'A status report to the regulator (21 CFR 7.53), or the final one' });
export type RecallReportView = z.infer<typeof recallReportView>;
