/**
 * Whom a business process waits on, for the diagnosis: the workflow's `state` query says what it
 * waits for (a customer's answer, billing, tasks, the recall's parties) and its deadlines; the read
 * models say who that is (the customer, the task's group and assignee) and since when.
 */
import type { Db } from '../db/client.js';
import { loadCaseView, loadOrderView, loadRecallView, loadTaskViews } from '../db/views.js';
import type { TaskView } from '../domain/views.js';
import { caseWorkflowType, type CaseWorkflowState } from '../workflows/case.contract.js';
import { orderWorkflowType, type OrderWorkflowState } from '../workflows/order.contract.js';
import { recallWorkflowType, type RecallWorkflowState } from '../workflows/recall.contract.js';
import { deadlineWords, iso, nextDeadline, type Deadline, type Finding } from './diagnosis.js';

const dateOrNull = (s: string | null | undefined) => (s ? new Date(s) : null);
const deadline = (name: string, at: string | null | undefined): Deadline | null => (at ? { name, at: new Date(at) } : null);

/** The run's state query answer, by workflow type; a type with no people to wait on has none. */
export async function waitsOf(db: Db, run: { type: string; state: unknown }, now: Date): Promise<Finding[]> {
  if (run.state === null || typeof run.state !== 'object') return [];
  switch (run.type) {
    case orderWorkflowType:
      return orderWaits(db, run.state as OrderWorkflowState, now);
    case caseWorkflowType:
      return caseWaits(db, run.state as CaseWorkflowState, now);
    case recallWorkflowType:
      return recallWaits(db, run.state as RecallWorkflowState, now);
    default:
      return [];
  }
}

const settled = ['done', 'notApplicable', 'skipped'];

async function orderWaits(db: Db, s: OrderWorkflowState, now: Date): Promise<Finding[]> {
  const [order, tasks] = await Promise.all([loadOrderView(db, s.orderId), loadTaskViews(db, s.openTaskIds ?? [])]);
  const phase1Open = (['activation1', 'rfb1'] as const).some(
    (m) => !settled.includes(s.milestones?.[m]?.status) && !s.milestones?.[m]?.deadlineMissed,
  );
  const d = s.deadlines ?? { phase1: null };
  const runDeadlines = [
    phase1Open ? deadline('phase 1 (activation 1 and RFB 1) due', d.phase1) : null,
    deadline('the customer is reminded of the acceptance', d.acceptanceReminder),
    deadline('the unanswered acceptance goes to fallout', d.acceptanceNoAnswer),
    deadline('the unacknowledged RFB goes to fallout', d.rfbNoAnswer),
  ];
  const next = nextDeadline(runDeadlines, now);
  const findings: Finding[] = [];
  for (const what of s.waitingFor ?? []) {
    // The state query names an awaited acceptance `acceptance1` or `acceptance2` (workflows/order.ts).
    const phase = /^acceptance([12])$/.exec(what)?.[1];
    if (!phase) continue;
    const since = dateOrNull(s.milestones?.[`acceptance${phase}` as 'acceptance1']?.at);
    const customerId = order?.customerId ?? null;
    findings.push({
      kind: 'waitingForCustomer',
      customerId,
      awaiting: `acceptance of phase ${phase}`,
      since,
      nextDeadline: next,
      sentence:
        `waiting on customer ${customerId ?? '(unknown)'} to accept phase ${phase}` +
        `${since ? ` since ${iso(since)}` : ''}; ${deadlineWords(next)}`,
    });
  }
  for (const rfb of (s.rfbs ?? []).filter((r) => r.status === 'sent')) {
    const since = dateOrNull(order?.readyForBilling.find((r) => r.id === rfb.id)?.sentAt);
    findings.push({
      kind: 'waitingForBilling',
      rfbId: rfb.id,
      since,
      nextDeadline: next,
      sentence: `waiting on billing to acknowledge ${rfb.id}${since ? `, sent ${iso(since)}` : ''}; ${deadlineWords(next)}`,
    });
  }
  return [...findings, ...tasks.map((t) => taskWait(t, runDeadlines, now))];
}

async function caseWaits(db: Db, s: CaseWorkflowState, now: Date): Promise<Finding[]> {
  const [c, tasks] = await Promise.all([loadCaseView(db, s.caseId), loadTaskViews(db, s.openTaskIds ?? [])]);
  // Both stand still while the case is pending or resolved: the customer has the case then.
  const runDeadlines = [
    s.nextEscalation ? deadline(`escalation to level ${s.nextEscalation.level} (${s.nextEscalation.group})`, s.nextEscalation.due) : null,
    ...(c?.sla ?? [])
      .filter((clock) => clock.running && clock.result === null)
      .map((clock) => deadline(`${clock.metric} target ${clock.target} (${clock.level})`, clock.due)),
  ];
  const next = nextDeadline(runDeadlines, now);
  const customer = (awaiting: string, since: Date | null): Finding => ({
    kind: 'waitingForCustomer',
    customerId: c?.customerId ?? null,
    awaiting,
    since,
    nextDeadline: next,
    sentence:
      `waiting on customer ${c?.customerId ?? '(unknown)'} for ${awaiting}` +
      `${since ? ` since ${iso(since)}` : ''}; ${deadlineWords(next)}`,
  });
  const findings: Finding[] = [];
  if (s.status === 'pending') {
    const wentPending = c?.history.filter((e) => e.kind === 'status' && e.details.to === 'pending').at(-1);
    findings.push(customer('the information asked for (the case is pending)', dateOrNull(wentPending?.at)));
  }
  if (s.status === 'resolved') findings.push(customer('closing the resolved case or reopening it', dateOrNull(c?.resolvedAt)));
  return [...findings, ...tasks.map((t) => taskWait(t, runDeadlines, now))];
}

async function recallWaits(db: Db, s: RecallWorkflowState, now: Date): Promise<Finding[]> {
  const [r, tasks] = await Promise.all([loadRecallView(db, s.recallId), loadTaskViews(db, s.openTaskIds ?? [])]);
  const runDeadlines = [
    deadline('reminders to the parties yet to answer', s.nextReminderAt),
    deadline('a status report to the regulator', s.nextReportAt),
  ];
  const next = nextDeadline(runDeadlines, now);
  const findings: Finding[] = [];
  if ((s.status === 'monitoring' || s.status === 'terminationRequested') && r) {
    const since = dateOrNull(r.notifiedAt);
    findings.push({
      kind: 'waitingForParties',
      affected: r.counts.affected,
      responded: r.counts.responded,
      since,
      nextDeadline: next,
      sentence:
        `waiting on the notified parties to answer: ${r.counts.responded} of ${r.counts.affected} have` +
        `${since ? `, notified by ${iso(since)}` : ''}; ${deadlineWords(next)}`,
    });
  }
  return [...findings, ...tasks.map((t) => taskWait(t, runDeadlines, now))];
}

/** A task the run waits on (one whose row is a write behind the workflow is not loaded, so not listed yet). */
function taskWait(t: TaskView, runDeadlines: (Deadline | null)[], now: Date): Finding {
  const dueAt = dateOrNull(t.dueAt);
  const next = nextDeadline([...runDeadlines, dueAt ? { name: `task ${t.id} due`, at: dueAt } : null], now);
  const last = t.events.at(-1);
  const since = new Date(t.createdAt);
  const who = t.assignee ? `claimed by ${t.assignee}` : 'claimed by nobody';
  return {
    kind: 'waitingForTask',
    taskId: t.id,
    taskKind: t.kind,
    title: t.title,
    group: t.group,
    assignee: t.assignee,
    status: t.status,
    since,
    dueAt,
    lastAction: last ? { action: last.action, actor: last.actor, at: new Date(last.at) } : null,
    nextDeadline: next,
    sentence: `waiting on task ${t.id} (${t.kind}) in group ${t.group}, ${who}, ${t.status}, open since ${iso(since)}; ${deadlineWords(next)}`,
  };
}
