/**
 * The platform's vocabulary: every status list, the shapes built from them and the pure rules on
 * them. Plain constants, types and functions (no zod, nothing of ours), so workflow code can import
 * it: the workflow bundle evaluates whatever it imports in every workflow context.
 */

export const roles = ['agent', 'backoffice', 'billing', 'support', 'admin', 'customer'] as const;
export type Role = (typeof roles)[number];

/** TM Forum TMF622 order states (design section 3). */
export const orderStates = [
  'acknowledged',
  'inProgress',
  'held',
  'pendingCancellation',
  'cancelled',
  'completed',
  'failed',
  'rejected',
] as const;
export type OrderState = (typeof orderStates)[number];
/** States after which an order takes no more commands. */
export const closedOrderStates: readonly OrderState[] = ['completed', 'cancelled', 'failed', 'rejected'];

/** The order's steps in process order (seed 003, figure 23). */
export const milestoneNames = ['activation1', 'acceptance1', 'rfb1', 'manualTasks', 'activation2', 'acceptance2', 'rfb2'] as const;
export type MilestoneName = (typeof milestoneNames)[number];

export const milestoneStatuses = ['pending', 'inProgress', 'done', 'skipped', 'notApplicable'] as const;
export type MilestoneStatus = (typeof milestoneStatuses)[number];

export interface MilestoneRecord {
  status: MilestoneStatus;
  at: string | null;
  deadline?: string | null;
  /** Set when the milestone finished after its deadline (or the deadline passed first). */
  deadlineMissed?: boolean;
  /** E.g. why a customer rejected an acceptance. */
  detail?: string;
}
export type Milestones = Record<MilestoneName, MilestoneRecord>;

/** A milestone moved to `status` at `at`: done after its deadline is marked missed. */
export function milestoneAt(record: MilestoneRecord, status: MilestoneStatus, at: Date, detail?: string): MilestoneRecord {
  const next: MilestoneRecord = { ...record, status, at: at.toISOString(), ...(detail ? { detail } : {}) };
  if (next.deadline && status === 'done' && at.getTime() > Date.parse(next.deadline)) next.deadlineMissed = true;
  return next;
}

/** How a catalogue component is provisioned: the plan is data (design section 3). */
export const fulfilments = ['auto-phase-1', 'auto-phase-2', 'manual'] as const;
export type Fulfilment = (typeof fulfilments)[number];

/** `notActivated`: its activation was skipped in fallout; the order completed without it. */
export const serviceStates = ['designed', 'reserved', 'active', 'notActivated', 'terminated'] as const;
export type ServiceState = (typeof serviceStates)[number];

export const activationStatuses = ['sent', 'succeeded', 'failed'] as const;
export type ActivationStatus = (typeof activationStatuses)[number];
/** A call to the activation system: turning a component on, or (compensation) off again. */
export const activationActions = ['activate', 'deactivate'] as const;
export type ActivationAction = (typeof activationActions)[number];

export const rfbStatuses = ['sent', 'accepted', 'rejected', 'withdrawn'] as const;
export type RfbStatus = (typeof rfbStatuses)[number];
/** What the billing system may answer to an RFB. */
export const rfbAnswers = ['accepted', 'rejected'] as const satisfies readonly RfbStatus[];
export type RfbAnswer = (typeof rfbAnswers)[number];

/** What the hub tells listeners about an order (TMF622 notification types). */
export const orderEventTypes = ['productOrderStateChangeEvent', 'productOrderMilestoneEvent'] as const;
export type OrderEventType = (typeof orderEventTypes)[number];

/** A TMF622 cancel request's states. */
export const cancellationStates = ['acknowledged', 'inProgress', 'done', 'terminatedWithError'] as const;
export type CancellationState = (typeof cancellationStates)[number];
/** The cancel request of an order (one per order): its id derives from the order's. */
export const cancellationIdFor = (orderId: string) => orderId.replace(/^ORD-/, 'CXL-');

export const acceptanceDecisions = ['accepted', 'rejected'] as const;
export type AcceptanceDecision = (typeof acceptanceDecisions)[number];
/** How a customer's decision is written on its acceptance milestone; the API knows a resent one by it. */
export const acceptanceDetail = (a: { decision: AcceptanceDecision; actor: string; comment?: string | null }) =>
  `${a.decision} by ${a.actor}${a.comment ? `: ${a.comment}` : ''}`;

// ---------------------------------------------------------------- the inbox

export const taskStatuses = ['opened', 'inProgress', 'completed', 'cancelled'] as const;
export type TaskStatus = (typeof taskStatuses)[number];
export const openTaskStatuses: readonly TaskStatus[] = ['opened', 'inProgress'];

export const taskActions = ['claim', 'release', 'start', 'forward', 'complete'] as const;
export type TaskAction = (typeof taskActions)[number];

/**
 * `caseWork`: a case's current inbox item; it follows the case up the escalation ladder.
 * `hazardAssessment` and `recallTermination`: a recall's two decisions (seed 004, 6.4.2 and 6.4.6).
 */
export const taskKinds = ['manualFulfilment', 'fallout', 'caseWork', 'hazardAssessment', 'recallTermination'] as const;
export type TaskKind = (typeof taskKinds)[number];

/** What the fallout group may decide about a step that failed for good (design section 3). */
export const falloutActions = ['retry', 'skip', 'cancel'] as const;
export type FalloutAction = (typeof falloutActions)[number];

/**
 * The business rule of each task kind's outcome, beyond its shape (which the API checks with the
 * kind's schema in domain/task-commands.ts): the workflow relies on these, so its validator
 * checks them too, and the API's schema calls this same function.
 */
export function taskOutcomeProblem(kind: TaskKind, outcome: unknown): string | undefined {
  const o = (typeof outcome === 'object' && outcome !== null ? outcome : {}) as Record<string, unknown>;
  switch (kind) {
    case 'manualFulfilment':
      return o.done === true ? undefined : 'done must be true: a manual task is completed once the component is fulfilled';
    case 'fallout':
      if (!falloutActions.includes(o.action as never)) return `action must be one of ${falloutActions.join(', ')}`;
      return o.action === 'skip' && (typeof o.reason !== 'string' || o.reason === '') ? 'a skip needs a reason' : undefined;
    case 'caseWork':
      return 'a case task ends with its case: resolve the case (POST /troubleTickets/{id}/resolve)';
    case 'hazardAssessment':
      return hazardAssessmentProblem(o);
    case 'recallTermination':
      if (typeof o.approved !== 'boolean') return 'approved must be true or false';
      return o.approved === false && (typeof o.rationale !== 'string' || o.rationale === '')
        ? 'a refusal needs a rationale: why monitoring goes on'
        : undefined;
  }
}

/** What a workflow's task is about. */
export const subjectTypes = ['order', 'case', 'recall'] as const;
export type SubjectType = (typeof subjectTypes)[number];

/** Inbox group names, e.g. `provisioning`, `web-marketing`. */
export const groupNamePattern = /^[a-z][a-zA-Z0-9-]{0,63}$/;
/** Order ids derive from the caller's reference (api/order-entry). */
export const orderIdPattern = /^ORD-[0-9A-F]{16}$/;

// ---------------------------------------------------------------- cases (seed 003, 5.3.4)

export const caseKinds = ['billing', 'sales', 'defect'] as const;
export type CaseKind = (typeof caseKinds)[number];
export const caseOrigins = ['internal', 'external'] as const;
export const caseChannels = ['phone', 'web', 'fax', 'email', 'presential'] as const;
export const caseSeverities = ['critical', 'major', 'minor'] as const;
export type CaseSeverity = (typeof caseSeverities)[number];
export const caseStatuses = ['gatheringInfo', 'open', 'pending', 'resolved', 'closed', 'cancelled'] as const;
export type CaseStatus = (typeof caseStatuses)[number];
/** What a case's audit trail records. */
export const caseEventKinds = ['status', 'note', 'triage', 'escalation', 'assignment', 'sla', 'satisfaction'] as const;
export type CaseEventKind = (typeof caseEventKinds)[number];
/** Case ids: `TT-` and 16 hex digits, derived like order ids. */
export const caseIdPattern = /^TT-[0-9A-F]{16}$/;

// ---------------------------------------------------------------- recalls (seed 004: APQC 6.4; 21 CFR 7)

export const recallStatuses = [
  'initiated',
  'assessing',
  'notifying',
  'monitoring',
  'terminationRequested',
  'terminated',
  'cancelled',
] as const;
export type RecallStatus = (typeof recallStatuses)[number];
/** I: serious harm likely; II: temporary or remote serious harm; III: harm unlikely (21 CFR 7.3(m)). */
export const recallClasses = ['I', 'II', 'III'] as const;
export type RecallClass = (typeof recallClasses)[number];
/** Effectiveness-check levels (21 CFR 7.42(b)(3)): A 100%, B between 10% and 100%, C 10%, D 2%, E none. */
export const effectivenessLevels = ['A', 'B', 'C', 'D', 'E'] as const;
export type EffectivenessLevel = (typeof effectivenessLevels)[number];
export const noticeUrgencies = ['immediate', 'urgent', 'routine'] as const;
export type NoticeUrgency = (typeof noticeUrgencies)[number];
/** How likely the hazard harms someone, and how badly (seed 004, 6.4.2). */
export const hazardLikelihoods = ['unlikely', 'remote', 'likely'] as const;
export type HazardLikelihood = (typeof hazardLikelihoods)[number];
export const hazardConsequences = ['minor', 'temporary', 'serious'] as const;
export type HazardConsequence = (typeof hazardConsequences)[number];

/**
 * The class 21 CFR 7.3(m) gives a likelihood and consequence: I when serious harm is likely, II
 * when serious harm is remote or the harm temporary, III when harm is unlikely or minor.
 */
export function suggestedRecallClass(likelihood: HazardLikelihood, consequence: HazardConsequence): RecallClass {
  if (likelihood === 'unlikely' || consequence === 'minor') return 'III';
  return likelihood === 'likely' && consequence === 'serious' ? 'I' : 'II';
}

/** An assessor may depart from the suggested class, saying why. */
function hazardAssessmentProblem(o: Record<string, unknown>): string | undefined {
  if (!hazardLikelihoods.includes(o.likelihood as never)) return `likelihood must be one of ${hazardLikelihoods.join(', ')}`;
  if (!hazardConsequences.includes(o.consequence as never)) return `consequence must be one of ${hazardConsequences.join(', ')}`;
  if (!recallClasses.includes(o.class as never)) return `class must be one of ${recallClasses.join(', ')}`;
  const suggested = suggestedRecallClass(o.likelihood as HazardLikelihood, o.consequence as HazardConsequence);
  return o.class !== suggested && (typeof o.rationale !== 'string' || o.rationale === '')
    ? `a ${o.likelihood} ${o.consequence} hazard is class ${suggested}: give a rationale for class ${String(o.class)}`
    : undefined;
}

/** What an affected customer answers to a recall notice. */
export const noticeResponses = ['acknowledged', 'returned', 'remedied', 'declined'] as const;
export type NoticeResponse = (typeof noticeResponses)[number];
/** Responses that count as the recalled thing dealt with. */
export const remedyResponses: readonly NoticeResponse[] = ['returned', 'remedied'];
/** What goes to an affected customer: the notice, reminders to non-responders, and a retraction when the recall is cancelled. */
export const recallMessageKinds = ['notice', 'reminder', 'retraction'] as const;
export type RecallMessageKind = (typeof recallMessageKinds)[number];
export const closedRecallStatuses: readonly RecallStatus[] = ['terminated', 'cancelled'];
/** Recall ids: `RCL-` and 16 hex digits, derived like order ids. */
export const recallIdPattern = /^RCL-[0-9A-F]{16}$/;
