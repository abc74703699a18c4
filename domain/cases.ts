/**
 * The rules of a case (seed 003, 5.3.4; design section 3): which command each status takes, who
 * owns a case, which escalation rule applies, and ISO 8601 durations. Plain functions (no zod):
 * the case workflow decides with them, the API checks requests with the same ones.
 */
import type { CaseCommandRequest } from './case-commands.js';
import type { CaseKind, CaseStatus } from './vocabulary.js';

export const caseCommands = ['open', 'pending', 'resume', 'resolve', 'close', 'reopen', 'cancel', 'notes', 'triage'] as const;
export type CaseCommand = (typeof caseCommands)[number];

/** The statuses each command may be given in, and the status it leads to (notes keep it). */
const transitions: Record<CaseCommand, { from: readonly CaseStatus[]; to?: CaseStatus }> = {
  open: { from: ['gatheringInfo'], to: 'open' },
  pending: { from: ['open'], to: 'pending' },
  resume: { from: ['pending'], to: 'open' },
  resolve: { from: ['gatheringInfo', 'open'], to: 'resolved' },
  close: { from: ['resolved'], to: 'closed' },
  reopen: { from: ['resolved'], to: 'open' },
  cancel: { from: ['gatheringInfo', 'open', 'pending'], to: 'cancelled' },
  notes: { from: ['gatheringInfo', 'open', 'pending', 'resolved', 'closed', 'cancelled'] },
  // Triage ends in resolved (solved by the first level) or open (sent to service management).
  triage: { from: ['gatheringInfo'] },
};

export const closedCaseStatuses: readonly CaseStatus[] = ['closed', 'cancelled'];

/**
 * The event a command leaves on its case: workflows/case.ts writes it, and the API knows a resent
 * command by it. A status event names its command, since two lead to the same status with nothing
 * else to tell them apart (open and resume): a resume refused right after the same actor's open
 * is no resend of the open. Triage answers with the status it leads to (resolved or open).
 */
export function caseCommandEvent(r: CaseCommandRequest): { kind: 'status' | 'triage' | 'note'; details: Record<string, unknown> } {
  switch (r.command) {
    case 'notes':
      return { kind: 'note', details: { text: r.text } };
    case 'triage':
      return { kind: 'triage', details: { solved: r.solved, answers: r.answers } };
    default: {
      // What else the command carries is its body: a reason, resolution or comment.
      const { command, actor: _actor, ...body } = r;
      return { kind: 'status', details: { to: transitions[command].to, command, ...body } };
    }
  }
}

export type CaseRefusal = 'CASE_STATUS_CONFLICT' | 'TRIAGE_NOT_FOR_KIND' | 'VALIDATION_FAILED';

/** Whether `command` may be given to a case in `status`; the status after it. */
export function caseCommandVerdict(
  c: { caseId: string; status: CaseStatus; kind: CaseKind },
  command: CaseCommand,
): { ok: true; next: CaseStatus | undefined } | { ok: false; code: CaseRefusal; message: string } {
  if (command === 'triage' && c.kind !== 'defect') {
    return { ok: false, code: 'TRIAGE_NOT_FOR_KIND', message: `Case ${c.caseId} is a ${c.kind} case: only defects are triaged` };
  }
  const t = transitions[command];
  if (!t.from.includes(c.status)) {
    return {
      ok: false,
      code: 'CASE_STATUS_CONFLICT',
      message: `Case ${c.caseId} is ${c.status}: ${command} needs it ${t.from.join(' or ')}`,
    };
  }
  return { ok: true, next: t.to };
}

/** Who works a case of each kind once it is open (seed 003: defects after triage). */
export const ownerGroups: Record<CaseKind, string> = {
  billing: 'billing-assistants',
  sales: 'sales-support',
  defect: 'service-management',
};
/** Whose inbox a new case lands in: a defect first goes to the service desk (the first level) for triage. */
export const entryGroups: Record<CaseKind, string> = { ...ownerGroups, defect: 'service-desk' };

/** The escalation ladder runs while someone should be working the case: not while it waits on the customer or is resolved. */
export const ladderRuns = (status: CaseStatus) => status === 'gatheringInfo' || status === 'open';

export interface EscalationLevel {
  level: number;
  group: string;
  /** ISO 8601 duration counted from the case's opening, time in `pending` (and `resolved`) excluded. */
  after: string;
}
export interface EscalationRule {
  id: string;
  kind: CaseKind;
  productId: string | null;
  symptom: string | null;
  levels: EscalationLevel[];
}

/** The most specific rule for a case: kind, product and symptom beat kind and product, which beat kind alone. */
export function escalationRuleFor<R extends Pick<EscalationRule, 'kind' | 'productId' | 'symptom'>>(
  rules: readonly R[],
  c: { kind: CaseKind; productId?: string | null; symptom?: string | null },
): R | undefined {
  const fits = rules.filter(
    (r) => r.kind === c.kind && (r.productId === null || r.productId === c.productId) && (r.symptom === null || r.symptom === c.symptom),
  );
  const specificity = (r: R) => (r.productId === null ? 0 : 2) + (r.symptom === null ? 0 : 1);
  return fits.sort((a, b) => specificity(b) - specificity(a))[0];
}

const isoDuration = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** An ISO 8601 duration in days, weeks, hours, minutes and seconds (`P7D`, `PT4H`, `P1DT12H`), in ms; undefined when malformed. */
export function durationMs(iso: string): number | undefined {
  const m = isoDuration.exec(iso);
  if (!m || iso === 'P' || iso.endsWith('T')) return undefined;
  const [w, d, h, min, s] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number];
  return ((((w * 7 + d) * 24 + h) * 60 + min) * 60 + s) * 1000;
}
