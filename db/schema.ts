/**
 * Every table of the platform, in one place. Migrations are generated from this file by
 * drizzle-kit (`npm run db:generate`) and committed under db/migrations.
 */
import { sql, type SQL } from 'drizzle-orm';
import {
  bigserial,
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import {
  activationActions,
  activationStatuses,
  caseChannels,
  caseEventKinds,
  caseKinds,
  caseOrigins,
  caseSeverities,
  caseStatuses,
  effectivenessLevels,
  noticeUrgencies,
  noticeResponses,
  recallClasses,
  recallStatuses,
  type HazardConsequence,
  type HazardLikelihood,
  type NoticeResponse,
  type RecallStatus,
  type EffectivenessLevel,
  type NoticeUrgency,
  type RecallClass,
  type CaseEventKind,
  type CaseKind,
  type CaseSeverity,
  type CaseStatus,
  cancellationStates,
  orderEventTypes,
  fulfilments,
  orderStates,
  rfbStatuses,
  roles,
  serviceStates,
  subjectTypes,
  taskKinds,
  taskStatuses,
  type ActivationAction,
  type ActivationStatus,
  type CancellationState,
  type OrderEventType,
  type Fulfilment,
  type Milestones,
  type OrderState,
  type RfbStatus,
  type Role,
  type ServiceState,
  type SubjectType,
  type TaskKind,
  type TaskStatus,
} from '../domain/vocabulary.js';
import type { PricedItem } from '../domain/order-commands.js';
import { falloutSteps, type FalloutPolicy, type FalloutStep } from '../domain/fallout.js';
import type { EscalationLevel } from '../domain/cases.js';
import { slaMetrics, type SlaClock, type SlaMetric } from '../domain/sla.js';
import type { RecallClassRule } from '../domain/recalls.js';

/** A text column's CHECK constraint, built from the domain's list so the two cannot drift. */
const oneOf = (column: AnyPgColumn, values: readonly string[]): SQL => {
  // DDL takes no parameters, so the values are inlined: only plain words may be.
  const bad = values.find((v) => !/^[A-Za-z0-9-]+$/.test(v));
  if (bad !== undefined) throw new Error(`not a plain word for a CHECK constraint: ${bad}`);
  return sql`${column} in (${sql.raw(values.map((v) => `'${v}'`).join(', '))})`;
};

/** API keys are stored as SHA-256 digests: a leaked table does not leak usable keys. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    keyHash: text('key_hash').notNull().unique(),
    role: text('role').$type<Role>().notNull(),
    /** Inbox groups a back-office key may work (e.g. `provisioning`, `fallout`). */
    groups: text('groups')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** A customer key sees only this customer's records. */
    customerId: text('customer_id'),
    label: text('label'),
    createdBy: text('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    check('api_keys_role_check', oneOf(t.role, roles)),
    check('api_keys_customer_check', sql`(${t.role} = 'customer') = (${t.customerId} is not null)`),
    index('api_keys_label_idx').on(t.label),
  ],
);

/**
 * Every Idempotency-Key a caller sent, with the request it named (api/idempotency-keys.ts): the
 * same key with another request, on another route or with another body, is refused. A caller's
 * keys are its own, so the key of one API key is no other's. Kept, as the orders, cases and
 * recalls a key made keep theirs: a row is a few hundred bytes, and a key forgotten would let a
 * late resend with another body through as a new request (an operator may delete rows older than
 * any client retries, by `first_at`).
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    /** The API key's id (`bootstrap-admin` for the bootstrap key): never the key itself. */
    caller: text('caller').notNull(),
    key: text('key').notNull(),
    /** A digest of method, route, its parameters, query and body, as validated. */
    requestDigest: text('request_digest').notNull(),
    /** The first request, as a refusal names it: `POST /api/v1/tasks/…/claim`. */
    request: text('request').notNull(),
    firstAt: timestamp('first_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.caller, t.key] })],
);

// ---------------------------------------------------------------- customers and catalogue

export const customers = pgTable('customers', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** The legal entity's tax or registration number: how order entry finds an existing customer. */
  taxId: text('tax_id').notNull().unique(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export const contacts = pgTable(
  'contacts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id),
    name: text('name').notNull(),
    email: text('email').notNull(),
    phone: text('phone'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('contacts_customer_email').on(t.customerId, t.email)],
);

/** A package offered for sale, e.g. `datahost`. */
export const products = pgTable('products', {
  id: text('id').primaryKey(),
  family: text('family').notNull(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  currency: text('currency').notNull().default('EUR'),
  oneTimeCents: integer('one_time_cents').notNull().default(0),
  recurringCents: integer('recurring_cents').notNull().default(0),
  symptoms: jsonb('symptoms').$type<{ id: string; name: string }[]>().notNull().default([]),
  triageQuestions: jsonb('triage_questions').$type<{ id: string; text: string }[]>().notNull().default([]),
});

/** A component of a package; its fulfilment is the provisioning plan, as data. */
export const productComponents = pgTable(
  'product_components',
  {
    id: text('id').primaryKey(),
    productId: text('product_id')
      .notNull()
      .references(() => products.id),
    name: text('name').notNull(),
    mandatory: boolean('mandatory').notNull(),
    fulfilment: text('fulfilment').$type<Fulfilment>().notNull(),
    /** For manual components: the inbox group that receives the task. */
    manualGroup: text('manual_group'),
    oneTimeCents: integer('one_time_cents').notNull().default(0),
    recurringCents: integer('recurring_cents').notNull().default(0),
    position: integer('position').notNull().default(0),
  },
  (t) => [
    check('product_components_fulfilment_check', oneOf(t.fulfilment, fulfilments)),
    check('product_components_manual_group_check', sql`(${t.fulfilment} = 'manual') = (${t.manualGroup} is not null)`),
  ],
);

// ---------------------------------------------------------------- orders

export const productOrders = pgTable(
  'product_orders',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => contacts.id),
    externalId: text('external_id'),
    /** The entry request's fingerprint: an Idempotency-Key reused with another body is refused. */
    requestHash: text('request_hash'),
    /** `<key id>:<Idempotency-Key>` when one was sent: the key stands for this one request. */
    idempotencyKey: text('idempotency_key').unique(),
    state: text('state').$type<OrderState>().notNull(),
    currency: text('currency').notNull(),
    oneTimeCents: integer('one_time_cents').notNull(),
    recurringCents: integer('recurring_cents').notNull(),
    milestones: jsonb('milestones').$type<Milestones>().notNull(),
    billingAccountId: text('billing_account_id'),
    billingStartDate: text('billing_start_date'),
    /** Set when a cancellation stopped a running billing cycle: the last day billed. */
    billingEndDate: text('billing_end_date'),
    submittedAt: timestamp('submitted_at', { withTimezone: true }).notNull(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('product_orders_external_id').on(t.customerId, t.externalId),
    index('product_orders_customer_idx').on(t.customerId, t.state),
    check('product_orders_state_check', oneOf(t.state, orderStates)),
  ],
);

export const orderItems = pgTable('order_items', {
  id: text('id').primaryKey(),
  orderId: text('order_id')
    .notNull()
    .references(() => productOrders.id),
  position: integer('position').notNull(),
  offeringId: text('offering_id')
    .notNull()
    .references(() => products.id),
  quantity: integer('quantity').notNull(),
  componentIds: text('component_ids').array().notNull(),
  configuration: jsonb('configuration').$type<Record<string, string>>().notNull(),
  /** Unit prices as ordered (the catalogue may change later): each RFB bills its phase's part. */
  base: jsonb('base').$type<PricedItem['base']>(),
  components: jsonb('components').$type<PricedItem['components']>(),
  oneTimeCents: integer('one_time_cents').notNull(),
  recurringCents: integer('recurring_cents').notNull(),
});

export const serviceInstances = pgTable(
  'service_instances',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id')
      .notNull()
      .references(() => productOrders.id),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id),
    offeringId: text('offering_id').notNull(),
    componentId: text('component_id').notNull(),
    state: text('state').$type<ServiceState>().notNull(),
    activatedAt: timestamp('activated_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('service_instances_customer_idx').on(t.customerId),
    // A recall finds the instances of a product (and component) it affects.
    index('service_instances_offering_idx').on(t.offeringId, t.componentId),
    check('service_instances_state_check', oneOf(t.state, serviceStates)),
  ],
);

/** TMF622 cancel requests: written by the order's workflow as it takes and carries out a cancel. */
export const cancelRequests = pgTable(
  'cancel_requests',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id')
      .notNull()
      .unique()
      .references(() => productOrders.id),
    reason: text('reason').notNull(),
    requestedBy: text('requested_by').notNull(),
    state: text('state').$type<CancellationState>().notNull(),
    error: text('error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [check('cancel_requests_state_check', oneOf(t.state, cancellationStates))],
);

/**
 * Every change of an order's state or milestones, written in the transaction that makes it (an
 * outbox): the hub delivers them to listeners in commit-safe order, at least once.
 */
export const orderEvents = pgTable(
  'order_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /**
     * The writing transaction's id: an event is delivered only once every transaction older than
     * it has ended, so one committing late never slips behind a listener's place.
     */
    txId: bigint('tx_id', { mode: 'number' })
      .notNull()
      .default(sql`pg_current_xact_id()::text::bigint`),
    orderId: text('order_id').notNull(),
    eventType: text('event_type').$type<OrderEventType>().notNull(),
    eventTime: timestamp('event_time', { withTimezone: true }).notNull().defaultNow(),
    /** The event's `productOrder`: the order's id with its new state or milestone. */
    productOrder: jsonb('product_order').$type<Record<string, unknown>>().notNull(),
    /**
     * The activity run that wrote it (`<runId>:<activityId>:<write>:<event>`): a write made again
     * (its workflow task lost with its worker and run again by the next, or its answer lost) finds
     * itself here and records nothing twice. Null for writes made outside an activity.
     */
    source: text('source').unique(),
  },
  (t) => [check('order_events_type_check', oneOf(t.eventType, orderEventTypes))],
);

/** Listeners registered through the hub (TMF pattern); each reads the outbox from its own place. */
export const hubListeners = pgTable('hub_listeners', {
  id: uuid('id').primaryKey().defaultRandom(),
  callback: text('callback').notNull(),
  /** Only these event types, when set (from a query such as `eventType=productOrderStateChangeEvent`). */
  eventTypes: text('event_types').array(),
  /** The last event delivered, as (transaction id, event id): a listener receives what happened after it registered. */
  deliveredTx: bigint('delivered_tx', { mode: 'number' }).notNull(),
  deliveredUpTo: bigint('delivered_up_to', { mode: 'number' }).notNull(),
  failures: integer('failures').notNull().default(0),
  /** The dispatcher delivering to this listener now: one at a time, however many workers run. */
  leaseHolder: text('lease_holder'),
  leasedUntil: timestamp('leased_until', { withTimezone: true }),
  nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Every call to the activation system, with its idempotency key: the audit of what was sent. */
export const activations = pgTable(
  'activations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    idempotencyKey: text('idempotency_key').notNull(),
    action: text('action').$type<ActivationAction>().notNull().default('activate'),
    orderId: text('order_id').notNull(),
    componentId: text('component_id').notNull(),
    phase: integer('phase').notNull(),
    attempt: integer('attempt').notNull(),
    request: jsonb('request').notNull(),
    result: jsonb('result'),
    status: text('status').$type<ActivationStatus>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('activations_key_idx').on(t.idempotencyKey),
    index('activations_order_idx').on(t.orderId),
    check('activations_status_check', oneOf(t.status, activationStatuses)),
    check('activations_action_check', oneOf(t.action, activationActions)),
  ],
);

/** Ready-for-billing hand-offs; billing starts only after one is acknowledged. */
export const rfbs = pgTable(
  'rfbs',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id')
      .notNull()
      .references(() => productOrders.id),
    phase: integer('phase').notNull(),
    status: text('status').$type<RfbStatus>().notNull(),
    payload: jsonb('payload').notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull(),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    billingAccountId: text('billing_account_id'),
    cycleStartDate: text('cycle_start_date'),
    /** A withdrawn RFB whose cycle had started: the cycle's last day (pull billing reads it). */
    cycleEndDate: text('cycle_end_date'),
    reason: text('reason'),
  },
  (t) => [index('rfbs_status_idx').on(t.status), check('rfbs_status_check', oneOf(t.status, rfbStatuses))],
);

// ---------------------------------------------------------------- inbox

/** The inbox shared by every workflow; each row is owned by the workflow named in workflow_id. */
export const tasks = pgTable(
  'tasks',
  {
    id: text('id').primaryKey(),
    kind: text('kind').$type<TaskKind>().notNull(),
    subjectType: text('subject_type').$type<SubjectType>().notNull(),
    subjectId: text('subject_id').notNull(),
    workflowId: text('workflow_id').notNull(),
    group: text('group').notNull(),
    assignee: text('assignee'),
    status: text('status').$type<TaskStatus>().notNull(),
    /** Bumped by every change; a write applies only over an older version, so a late retry never undoes a newer one. */
    version: integer('version').notNull().default(1),
    priority: integer('priority').notNull().default(3),
    title: text('title').notNull(),
    dueAt: timestamp('due_at', { withTimezone: true }),
    input: jsonb('input').notNull(),
    outcome: jsonb('outcome'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('tasks_inbox_idx').on(t.group, t.status),
    index('tasks_subject_idx').on(t.subjectType, t.subjectId),
    check('tasks_status_check', oneOf(t.status, taskStatuses)),
    check('tasks_kind_check', oneOf(t.kind, taskKinds)),
    check('tasks_subject_type_check', oneOf(t.subjectType, subjectTypes)),
  ],
);

export const taskEvents = pgTable(
  'task_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    taskId: text('task_id')
      .notNull()
      .references(() => tasks.id),
    action: text('action').notNull(),
    actor: text('actor').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    details: jsonb('details'),
    /** The task's version this action made: one event per action, however often its write is retried. */
    version: integer('version'),
  },
  (t) => [index('task_events_task_idx').on(t.taskId, t.at), unique('task_events_task_version').on(t.taskId, t.version)],
);

export const notifications = pgTable(
  'notifications',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    /** A group (`group:provisioning`), a customer (`customer:CUST-1`) or a person. */
    recipient: text('recipient').notNull(),
    subjectType: text('subject_type').$type<SubjectType>().notNull(),
    subjectId: text('subject_id').notNull(),
    message: text('message').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('notifications_subject_idx').on(t.subjectType, t.subjectId),
    index('notifications_recipient_idx').on(t.recipient),
    check('notifications_subject_type_check', oneOf(t.subjectType, subjectTypes)),
  ],
);

/**
 * The fallout policy table (ONAP SO's rainy-day table): per step and error code, what to do
 * first and what next. Seeded with catalog/fallout-policies.ts; admins change it through the API,
 * and a step reads it when it starts.
 */
export const falloutPolicies = pgTable(
  'fallout_policies',
  {
    id: text('id').primaryKey(),
    step: text('step').$type<FalloutStep>().notNull(),
    errorCode: text('error_code').notNull(),
    first: jsonb('first').$type<FalloutPolicy>().notNull(),
    second: jsonb('second').$type<FalloutPolicy>().notNull(),
    description: text('description').notNull(),
    updatedBy: text('updated_by'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('fallout_policies_step_error_code_unique').on(t.step, t.errorCode),
    check('fallout_policies_step_check', oneOf(t.step, falloutSteps)),
  ],
);

/**
 * A case or trouble ticket (seed 003, 5.3.4): one `case` workflow each. The row is the read
 * model the workflow keeps; `case_events` is its audit trail.
 */
export const cases = pgTable(
  'cases',
  {
    id: text('id').primaryKey(),
    kind: text('kind').$type<CaseKind>().notNull(),
    origin: text('origin').$type<(typeof caseOrigins)[number]>().notNull(),
    channel: text('channel').$type<(typeof caseChannels)[number]>().notNull(),
    severity: text('severity').$type<CaseSeverity>().notNull(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => contacts.id),
    productId: text('product_id'),
    symptom: text('symptom'),
    relatedOrderId: text('related_order_id'),
    invoiceId: text('invoice_id'),
    description: text('description').notNull(),
    status: text('status').$type<CaseStatus>().notNull(),
    /** The group whose inbox holds the case's task: the owner, or the escalation level it reached. */
    ownerGroup: text('owner_group'),
    escalationLevel: integer('escalation_level').notNull().default(0),
    escalations: jsonb('escalations').$type<{ level: number; group: string; at: string }[]>().notNull().default([]),
    /** The escalation rule fixed at the case's start, with its levels as they were then. */
    escalationRule: jsonb('escalation_rule').$type<{ id: string; levels: EscalationLevel[] } | null>(),
    triage: jsonb('triage').$type<{ answers: { questionId: string; answer: string }[]; solved: boolean; by: string; at: string } | null>(),
    resolution: text('resolution'),
    /** The SLA clocks as the workflow last wrote them (targets fixed at entry). */
    sla: jsonb('sla').$type<SlaClock[]>().notNull().default([]),
    satisfaction: jsonb('satisfaction').$type<{ score: number; comment: string | null; by: string; at: string } | null>(),
    externalId: text('external_id'),
    requestHash: text('request_hash').notNull(),
    idempotencyKey: text('idempotency_key').unique(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    closedAt: timestamp('closed_at', { withTimezone: true }),
  },
  (t) => [
    index('cases_customer_idx').on(t.customerId),
    index('cases_status_idx').on(t.status),
    check('cases_kind_check', oneOf(t.kind, caseKinds)),
    check('cases_origin_check', oneOf(t.origin, caseOrigins)),
    check('cases_channel_check', oneOf(t.channel, caseChannels)),
    check('cases_severity_check', oneOf(t.severity, caseSeverities)),
    check('cases_status_check', oneOf(t.status, caseStatuses)),
  ],
);

/** A case's audit trail: status changes, notes, triage, escalations; one row per event, keyed so a retried write adds none. */
export const caseEvents = pgTable(
  'case_events',
  {
    id: text('id').primaryKey(),
    caseId: text('case_id')
      .notNull()
      .references(() => cases.id),
    kind: text('kind').$type<CaseEventKind>().notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    actor: text('actor').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [index('case_events_case_idx').on(t.caseId, t.at), check('case_events_kind_check', oneOf(t.kind, caseEventKinds))],
);

/**
 * Escalation rules (seed 003, figure 19): by case kind, and for defects also product and symptom;
 * the most specific one wins. Seeded with catalog/escalation-rules.ts; admins change them.
 */
export const escalationRules = pgTable(
  'escalation_rules',
  {
    id: text('id').primaryKey(),
    kind: text('kind').$type<CaseKind>().notNull(),
    productId: text('product_id'),
    symptom: text('symptom'),
    levels: jsonb('levels').$type<EscalationLevel[]>().notNull(),
    description: text('description').notNull(),
    updatedBy: text('updated_by'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('escalation_rules_kind_check', oneOf(t.kind, caseKinds))],
);

/** Working-time calendars SLA targets are measured in (domain/sla.ts). */
export const calendars = pgTable('calendars', {
  id: text('id').primaryKey(),
  utcOffsetMinutes: integer('utc_offset_minutes').notNull(),
  workingDays: integer('working_days').array().notNull(),
  start: integer('start_minute').notNull(),
  end: integer('end_minute').notNull(),
  holidays: text('holidays').array().notNull(),
});

/** Response and resolution targets per case kind and severity, CSL or SLO (seed 002). */
export const slaDefinitions = pgTable(
  'sla_definitions',
  {
    id: text('id').primaryKey(),
    kind: text('kind').$type<CaseKind>().notNull(),
    severity: text('severity').$type<CaseSeverity>().notNull(),
    metric: text('metric').$type<SlaMetric>().notNull(),
    target: text('target').notNull(),
    calendarId: text('calendar_id')
      .notNull()
      .references(() => calendars.id),
    level: text('level').$type<'CSL' | 'SLO'>().notNull(),
    warnAt: integer('warn_at').array().notNull(),
  },
  (t) => [
    unique('sla_definitions_kind_severity_metric_unique').on(t.kind, t.severity, t.metric),
    check('sla_definitions_metric_check', oneOf(t.metric, slaMetrics)),
    check('sla_definitions_level_check', oneOf(t.level, ['CSL', 'SLO'])),
  ],
);

/** Recall classes as data (seed 004, 21 CFR 7): what each class asks of effectiveness checks, reminders and reports. */
export const recallClassRules = pgTable(
  'recall_classes',
  {
    recallClass: text('recall_class').$type<RecallClass>().primaryKey(),
    effectivenessLevel: text('effectiveness_level').$type<EffectivenessLevel>().notNull(),
    effectivenessTargetPercent: integer('effectiveness_target_percent').notNull(),
    noticeUrgency: text('notice_urgency').$type<NoticeUrgency>().notNull(),
    reminderEvery: text('reminder_every').notNull(),
    reportEvery: text('report_every').notNull(),
    description: text('description').notNull(),
    updatedBy: text('updated_by'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('recall_classes_class_check', oneOf(t.recallClass, recallClasses)),
    check('recall_classes_level_check', oneOf(t.effectivenessLevel, effectivenessLevels)),
    check('recall_classes_urgency_check', oneOf(t.noticeUrgency, noticeUrgencies)),
  ],
);

/**
 * A product recall (seed 004, APQC 6.4): one `recall` workflow each, which keeps this row. Its
 * class and the class's terms are fixed by the hazard assessment.
 */
export const recalls = pgTable(
  'recalls',
  {
    id: text('id').primaryKey(),
    productId: text('product_id')
      .notNull()
      .references(() => products.id),
    componentId: text('component_id'),
    reason: text('reason').notNull(),
    hazard: text('hazard').notNull(),
    /** What an affected customer is to do, as the notice says it. */
    instructions: text('instructions').notNull(),
    scope: jsonb('scope').$type<{ activatedFrom?: string; activatedTo?: string; serviceIds?: string[] }>().notNull(),
    status: text('status').$type<RecallStatus>().notNull(),
    recallClass: text('recall_class').$type<RecallClass>(),
    assessment: jsonb('assessment').$type<{
      likelihood: HazardLikelihood;
      consequence: HazardConsequence;
      class: RecallClass;
      rationale: string | null;
      by: string;
      at: string;
    } | null>(),
    /** The class's terms as they were at the assessment (admins may change the table later). */
    classRule: jsonb('class_rule').$type<RecallClassRule | null>(),
    /** Parties (customers) and service instances found affected at initiation. */
    affected: integer('affected').notNull().default(0),
    quantity: integer('quantity').notNull().default(0),
    notifyingFrom: timestamp('notifying_from', { withTimezone: true }),
    notifiedAt: timestamp('notified_at', { withTimezone: true }),
    nextReminderAt: timestamp('next_reminder_at', { withTimezone: true }),
    nextReportAt: timestamp('next_report_at', { withTimezone: true }),
    termination: jsonb('termination').$type<{
      requestedBy: string;
      reason: string;
      at: string;
      decision?: { approved: boolean; by: string; rationale: string | null; at: string };
    } | null>(),
    terminatedAt: timestamp('terminated_at', { withTimezone: true }),
    cancellation: jsonb('cancellation').$type<{ by: string; reason: string; at: string } | null>(),
    requestHash: text('request_hash').notNull(),
    /** `<key id>:<Idempotency-Key>` when one was sent: the key stands for this one request. */
    idempotencyKey: text('idempotency_key').unique(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('recalls_status_idx').on(t.status),
    check('recalls_status_check', oneOf(t.status, recallStatuses)),
    check('recalls_class_check', sql`${t.recallClass} is null or ${oneOf(t.recallClass, recallClasses)}`),
  ],
);

/** The customers a recall affects, found once at initiation: what they hold of the recalled product. */
export const recallParties = pgTable(
  'recall_parties',
  {
    recallId: text('recall_id')
      .notNull()
      .references(() => recalls.id),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id),
    serviceIds: text('service_ids').array().notNull(),
    quantity: integer('quantity').notNull(),
  },
  (t) => [primaryKey({ columns: [t.recallId, t.customerId] })],
);

/**
 * One notice per affected party, keyed by recall and customer: written before it goes to the
 * notification system (under the same id, which the system dedupes), so a retried batch or a
 * killed worker never gives a party a second one. Responses are counted on it.
 */
export const recallNotices = pgTable(
  'recall_notices',
  {
    id: text('id').primaryKey(),
    recallId: text('recall_id')
      .notNull()
      .references(() => recalls.id),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id),
    quantity: integer('quantity').notNull(),
    /** How it reached the party (email to the customer's contact, or letter). */
    method: text('method'),
    /** Null while the notification system's answer is not recorded: a retry sends it again under its id. */
    sentAt: timestamp('sent_at', { withTimezone: true }),
    reminders: integer('reminders').notNull().default(0),
    lastRemindedAt: timestamp('last_reminded_at', { withTimezone: true }),
    retractedAt: timestamp('retracted_at', { withTimezone: true }),
    /** The party's latest answer (each one is kept in recall_responses). */
    response: text('response').$type<NoticeResponse>(),
    respondedAt: timestamp('responded_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    unique('recall_notices_party').on(t.recallId, t.customerId),
    index('recall_notices_response_idx').on(t.recallId, t.response),
    check('recall_notices_response_check', sql`${t.response} is null or ${oneOf(t.response, noticeResponses)}`),
  ],
);

/** Every answer to a notice, once: the same answer sent again is the same row (bulk data the API writes, design section 1). */
export const recallResponses = pgTable(
  'recall_responses',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    noticeId: text('notice_id')
      .notNull()
      .references(() => recallNotices.id),
    recallId: text('recall_id').notNull(),
    response: text('response').$type<NoticeResponse>().notNull(),
    quantity: integer('quantity'),
    by: text('by').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (t) => [
    unique('recall_responses_notice_response').on(t.noticeId, t.response),
    index('recall_responses_recall_idx').on(t.recallId, t.response),
    check('recall_responses_response_check', oneOf(t.response, noticeResponses)),
  ],
);

/** The status reports a recall files with the regulator (21 CFR 7.53), and its final report. */
export const recallReports = pgTable(
  'recall_reports',
  {
    id: text('id').primaryKey(),
    recallId: text('recall_id')
      .notNull()
      .references(() => recalls.id),
    number: integer('number').notNull(),
    final: boolean('final').notNull(),
    figures: jsonb('figures').$type<Record<string, unknown>>().notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    /** Null until the regulator took it; a retry files it again under its id. */
    filedAt: timestamp('filed_at', { withTimezone: true }),
    regulatorReference: text('regulator_reference'),
  },
  (t) => [index('recall_reports_recall_idx').on(t.recallId, t.number)],
);
