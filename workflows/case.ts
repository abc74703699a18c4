/**
 * A case or trouble ticket from entry to closure (seed 003, 5.3.4 and figure 19; design section 3):
 *
 *   gatheringInfo -> open -> (pending <-> open) -> resolved -> closed
 *                                                  resolved -> open (the customer disagrees)
 *   defects: gatheringInfo -> triage -> resolved (solved by the first level) or open (service management)
 *
 * The case's task sits in its owner group's inbox. The escalation ladder (the rule fixed at entry)
 * counts time from the case's entry while someone should be working it (gatheringInfo, open): at
 * each level's deadline the task moves to that level's inbox, the level is told, and the
 * escalation recorded. Pending (waiting on the customer) and resolved stop the clock; a reopen
 * resumes the ladder where it stood.
 */
import {
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { CaseChange, CaseTerms } from '../activities/cases.js';
import {
  caseCommandEvent,
  caseCommandVerdict,
  closedCaseStatuses,
  durationMs,
  entryGroups,
  ladderRuns,
  ownerGroups,
  type EscalationLevel,
} from '../domain/cases.js';
import type { CaseKind, CaseSeverity, CaseStatus } from '../domain/vocabulary.js';
import {
  caseCommandUpdate,
  caseSearchAttributes,
  caseStateQuery,
  submitCaseUpdate,
  type CaseInput,
  type CaseWorkflow,
  type SubmitCase,
} from './case.contract.js';
import { createInbox, refuse, refuseStrangeEntry } from './inbox.js';
import { writesInOrder } from './writes.js';
import { slaClocks } from '../domain/sla.js';

const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** How soon a case's task is due, and its inbox priority, by severity. */
const dueBySeverity: Record<CaseSeverity, { hours: number; priority: number }> = {
  critical: { hours: 4, priority: 1 },
  major: { hours: 24, priority: 2 },
  minor: { hours: 72, priority: 3 },
};

export async function troubleTicket({ caseId, carried, historyEventLimit }: CaseInput): Promise<CaseStatus> {
  const workflowId = workflowInfo().workflowId;
  const write = writesInOrder({ survivesCancel: true });
  const inbox = createInbox({
    subjectType: 'case',
    subjectId: caseId,
    workflowId,
    write,
    rows: () => local,
    handlerRows: local,
    answerWithView: false,
    tasks: carried?.tasks,
    // The case follows its task: forwarded to another group, that group works the case now.
    onForward: async (task, actor, message) => {
      if (task.id !== taskId) return;
      ownerGroup = task.group;
      await change({ kind: 'assignment', actor, ownerGroup: task.group, details: { toGroup: task.group, message } });
    },
  });

  // A run continued as new takes up the case where the last one stood.
  let submission: SubmitCase | undefined = carried?.submission;
  let recording: Promise<CaseTerms> | undefined = carried ? Promise.resolve(carried.terms) : undefined;
  let status: CaseStatus = carried?.status ?? 'gatheringInfo';
  /** Bumped by every status change, so the ladder's wait starts over. */
  let changes = 0;
  let events = carried?.events ?? 0;
  let ownerGroup: string | null = carried?.ownerGroup ?? null;
  let taskId: string | null = carried?.taskId ?? null;
  let tasksOpened = carried?.tasksOpened ?? 0;
  const escalations: { level: number; group: string; at: string }[] = carried?.escalations ?? [];
  let levels: EscalationLevel[] = [];
  /** The ladder's clock: time counted while it ran, and since when it runs now. */
  let countedMs = carried?.countedMs ?? 0;
  let runningSince: number | null = carried ? carried.runningSince : null;
  /** The SLA clocks, once the case is recorded with its targets. */
  let sla: ReturnType<typeof slaClocks> | undefined;

  const kind = (): CaseKind | null => submission?.kind ?? null;
  const ladderElapsed = () => countedMs + (runningSince === null ? 0 : Date.now() - runningSince);
  const nextLevel = () => levels[escalations.length];
  const nextDueMs = () => {
    const next = nextLevel();
    return next && runningSince !== null ? Date.now() + durationMs(next.after)! - ladderElapsed() : null;
  };

  setHandler(caseStateQuery, () => {
    const due = nextDueMs();
    return {
      caseId,
      kind: kind(),
      status,
      ownerGroup,
      openTaskIds: inbox.openTaskIds(),
      escalationLevel: escalations.length,
      escalations,
      nextEscalation: due === null ? null : { ...nextLevel()!, due: new Date(due).toISOString() },
      ladderElapsedMs: ladderElapsed(),
      sla: (sla?.clocks ?? []).map((c) => ({
        metric: c.metric,
        warnings: c.warnings.map((w) => w.percent),
        breached: c.breachedAt !== null,
        result: c.result,
      })),
      waitingFor: [...(status === 'resolved' ? ['customer: close or reopen'] : []), ...inbox.openTaskIds().map((id) => `task ${id}`)],
    };
  });

  /** One change of the case: the state here at once, the row and its audit event in order. */
  function change(c: Omit<CaseChange, 'caseId' | 'eventId' | 'at'>): Promise<void> {
    if (c.status && c.status !== status) {
      if (ladderRuns(status) && !ladderRuns(c.status)) {
        countedMs = ladderElapsed();
        runningSince = null;
      } else if (!ladderRuns(status) && ladderRuns(c.status)) runningSince = Date.now();
      status = c.status;
      upsertSearchAttributes([{ key: caseSearchAttributes.status, value: status }]);
      sla?.onStatus(c.status, Date.now());
      changes++;
    }
    const eventId = `${caseId}:${++events}`;
    const clocks = sla?.snapshot();
    const at = new Date().toISOString();
    return write(() => local.recordCaseChange({ caseId, eventId, at, ...c, ...(clocks ? { sla: clocks } : {}) }));
  }

  /** The case's task, in `group`'s inbox (a new one when the last one ended). */
  async function assign(group: string, why: string) {
    ownerGroup = group;
    if (taskId && inbox.openTaskIds().includes(taskId)) return inbox.reassign(taskId, group, why);
    taskId = `${caseId}:work:${++tasksOpened}`;
    await inbox.open({
      id: taskId,
      kind: 'caseWork',
      group,
      title: `${submission!.kind} case ${caseId}: ${submission!.description.slice(0, 120)}`,
      input: { caseId, kind: submission!.kind, severity: submission!.severity, customerId: submission!.customerId, why },
      due: dueBySeverity[submission!.severity],
    });
  }

  const endTask = (reason: string, as: 'completed' | 'cancelled') => (taskId ? inbox.withdraw(taskId, reason, as) : Promise.resolve());

  /**
   * Where a case goes when it is worked: the group that has it (by escalation or forward), unless
   * that is the service desk, which only triages; then the level it escalated to or its owner group.
   */
  const workingGroup = () =>
    ownerGroup && ownerGroup !== entryGroups.defect ? ownerGroup : (escalations.at(-1)?.group ?? ownerGroups[submission!.kind]);

  setHandler(
    submitCaseUpdate,
    async (s) => {
      const first = submission === undefined;
      submission ??= s;
      const enteredAt = new Date().toISOString();
      recording ??= write(() => local.recordCase(submission!, enteredAt));
      return { caseId, customerId: (await recording).customerId, created: first };
    },
    {
      validator: (s) => refuseStrangeEntry('case', caseId, { ...s, id: s.caseId }, submission),
    },
  );

  setHandler(
    caseCommandUpdate,
    async (r) => {
      const { actor } = r;
      const event = { ...caseCommandEvent(r), actor };
      switch (r.command) {
        case 'open':
          await change({ ...event, status: 'open', ownerGroup: workingGroup() });
          await assign(workingGroup(), 'information complete');
          break;
        case 'pending':
          await change({ ...event, status: 'pending' });
          break;
        case 'resume':
          await change({ ...event, status: 'open' });
          break;
        case 'resolve':
          await change({ ...event, status: 'resolved', resolution: r.resolution });
          await endTask(`resolved by ${actor}`, 'completed');
          break;
        case 'close':
          await change({ ...event, status: 'closed' });
          break;
        case 'reopen':
          await change({ ...event, status: 'open', ownerGroup: workingGroup(), resolution: null });
          await assign(workingGroup(), `reopened: ${r.comment}`);
          break;
        case 'cancel':
          await change({ ...event, status: 'cancelled' });
          await endTask(`case cancelled: ${r.reason}`, 'cancelled');
          break;
        case 'notes':
          await change(event);
          break;
        case 'triage': {
          const triage = { answers: r.answers, solved: r.solved, by: actor, at: new Date().toISOString() };
          if (r.solved) {
            const resolution = 'solved at triage by the first level';
            await change({ ...event, status: 'resolved', triage, resolution });
            await endTask(`solved at triage by ${actor}`, 'completed');
          } else {
            await change({ ...event, status: 'open', ownerGroup: workingGroup(), triage });
            await assign(workingGroup(), 'not solved at triage');
          }
          break;
        }
      }
      return { caseId, command: r.command, status };
    },
    {
      validator: (r) => {
        if (!submission) refuse('CASE_STATUS_CONFLICT', `Case ${caseId} is not recorded yet`);
        const verdict = caseCommandVerdict({ caseId, status, kind: submission.kind }, r.command);
        if (!verdict.ok) refuse(verdict.code, verdict.message);
      },
    },
  );

  await condition(() => recording !== undefined);
  const terms = await recording!;
  levels = terms.escalationRule?.levels ?? [];
  if (!carried) {
    runningSince = Date.parse(terms.enteredAt);
    sla = slaClocks(terms.sla, runningSince);
    upsertSearchAttributes([
      { key: caseSearchAttributes.kind, value: submission!.kind },
      { key: caseSearchAttributes.status, value: status },
      { key: caseSearchAttributes.customerId, value: terms.customerId },
    ]);
    // Billing and sales cases go to their owner group at once; a defect to the service desk, for triage.
    await assign(entryGroups[submission!.kind], 'new case');
  } else sla = slaClocks(terms.sla, Date.parse(terms.enteredAt), carried.clocks);

  /** A long-lived case (many notes, escalations, reopenings) keeps its history bounded. */
  const historyFull = () =>
    workflowInfo().continueAsNewSuggested || (historyEventLimit !== undefined && workflowInfo().historyLength > historyEventLimit);

  while (!closedCaseStatuses.includes(status)) {
    if (historyFull()) {
      await condition(allHandlersFinished);
      const next: CaseInput = {
        caseId,
        historyEventLimit,
        carried: {
          submission: submission!,
          terms,
          status,
          events,
          ownerGroup,
          taskId,
          tasksOpened,
          escalations,
          countedMs,
          runningSince,
          clocks: sla.snapshot(),
          tasks: inbox.snapshot(),
        },
      };
      // Search attributes go along explicitly: support finds the case by them, whichever run it is in.
      return makeContinueAsNewFunc<CaseWorkflow>({ typedSearchAttributes: workflowInfo().typedSearchAttributes })(next);
    }
    const seen = changes;
    const escalation = nextDueMs();
    const due = [escalation, sla.nextDueMs()].filter((d): d is number => d !== null);
    const moved = () => changes !== seen || historyFull();
    if (due.length === 0) await condition(moved);
    else if (!(await condition(moved, Math.max(Math.min(...due) - Date.now(), 1)))) {
      await clockEvents();
      if (escalation !== null && escalation <= Date.now()) await escalate(nextLevel()!);
    }
  }
  await condition(allHandlersFinished);
  return status;

  /**
   * Warnings at 50% and 75% of a target go to the owner group; a breach to the owner's
   * escalation group (the next level, or the last one when none is left). Each is recorded.
   */
  async function clockEvents() {
    for (const { clock, percent } of sla!.fire(Date.now())) {
      const owner = ownerGroup ?? ownerGroups[submission!.kind];
      const breach = percent === 100;
      const recipient = breach ? ((nextLevel() ?? levels.at(-1))?.group ?? owner) : owner;
      const what = `${clock.metric} target ${clock.target} (${clock.level})`;
      await change({ kind: 'sla', actor: 'system', details: { metric: clock.metric, percent, target: clock.target, level: clock.level } });
      await write(() =>
        local.notify({
          id: `${caseId}:sla:${clock.metric}:${percent}`,
          kind: breach ? 'slaBreach' : 'slaWarning',
          recipient: `group:${recipient}`,
          subjectType: 'case',
          subjectId: caseId,
          message: breach ? `Case ${caseId} breached its ${what}` : `Case ${caseId} is at ${percent}% of its ${what}`,
        }),
      );
    }
  }

  /** A level's deadline passed with the case still being worked: up one level. */
  async function escalate(level: EscalationLevel) {
    const at = new Date().toISOString();
    escalations.push({ level: level.level, group: level.group, at });
    const why = `escalated to level ${level.level} (${level.group}): not resolved within ${level.after}`;
    await change({ kind: 'escalation', actor: 'system', ownerGroup: level.group, escalation: escalations.at(-1)!, details: { ...level } });
    await assign(level.group, why);
    await write(() =>
      local.notify({
        id: `${caseId}:escalation:${level.level}`,
        kind: 'escalation',
        recipient: `group:${level.group}`,
        subjectType: 'case',
        subjectId: caseId,
        message: `Case ${caseId} ${why}`,
      }),
    );
  }
}
troubleTicket satisfies CaseWorkflow;
