/**
 * A product recall from initiation to termination (seed 004, APQC 6.4; 21 CFR 7 where the seed is
 * silent; design section 3):
 *
 *   initiated -> assessing -> notifying -> monitoring -> terminationRequested -> terminated
 *                                          monitoring <- (termination refused)
 *   any of them until the end -> cancelled (raised in error: the notified are told it is withdrawn)
 *
 * Product safety assesses the hazard; its class fixes the terms (effectiveness target, notice
 * urgency, reminder and report cadence) from the class table as it stands then. Every affected
 * party gets one notice, sent in heartbeating batches that pick up where a crash left them.
 * Responses are written by the API; the workflow counts them once a day, reminds non-responders
 * and reports to the regulator at the class's cadence, and asks for termination once the checks
 * reach the target. Long recalls continue as new, so no history grows past a few thousand events.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { MessageBatch, RecallChange, RecallTerms } from '../activities/recalls.js';
import { durationMs } from '../domain/cases.js';
import { effectiveness, recallCommandVerdict, type RecallClassRule, type RecallCounts } from '../domain/recalls.js';
import {
  closedRecallStatuses,
  type HazardConsequence,
  type HazardLikelihood,
  type RecallClass,
  type RecallStatus,
} from '../domain/vocabulary.js';
import { messageOf } from './fallout.js';
import { createInbox, refuse, refuseStrangeEntry } from './inbox.js';
import {
  productSafetyGroup,
  recallCommandUpdate,
  recallSearchAttributes,
  recallStateQuery,
  submitRecallUpdate,
  type RecallCarried,
  type RecallInput,
  type RecallProgress,
  type RecallWorkflow,
  type SubmitRecall,
} from './recall.contract.js';
import { writesInOrder } from './writes.js';

const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1 minute',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
/**
 * Batches of messages and reports go to external systems: they heartbeat, so a dead worker's
 * batch is taken up by another within seconds; a system down through the retries goes to people.
 */
const outside = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 8 },
});

/** How often the workflow reads the responses: the API writes them, one by one, at any rate. */
const checkEvery = 24 * 3600_000;

type Decision = { approved: boolean; rationale?: string; by: string };

interface Assessment {
  likelihood: HazardLikelihood;
  consequence: HazardConsequence;
  class: RecallClass;
  rationale?: string;
}

export async function recall({ recallId, carried, historyEventLimit, partiesPerActivity }: RecallInput): Promise<RecallStatus> {
  const workflowId = workflowInfo().workflowId;
  const write = writesInOrder({ survivesCancel: true });
  const inbox = createInbox({
    subjectType: 'recall',
    subjectId: recallId,
    workflowId,
    write,
    rows: () => local,
    handlerRows: local,
    answerWithView: false,
    tasks: carried?.tasks,
  });

  let recording: Promise<RecallTerms> | undefined = carried ? Promise.resolve(carried.terms) : undefined;
  let status: RecallStatus = carried?.status ?? 'initiated';
  /** Bumped by every command and decision, so the monitoring wait starts over. */
  let changes = 0;
  let rule: RecallClassRule | null = carried?.rule ?? null;
  let counts: RecallCounts | null = carried?.counts ?? null;
  let tasksOpened = carried?.tasksOpened ?? 0;
  let terminationTaskId = carried?.terminationTaskId ?? null;
  let termination = carried?.termination ?? null;
  let decision: Decision | undefined = carried?.decision ?? undefined;
  const p: RecallProgress = carried?.progress ?? {
    after: null,
    notifyingFrom: null,
    notifiedAt: null,
    nextReminderAt: null,
    nextReportAt: null,
    nextCheckAt: null,
    reminderRounds: 0,
    reportsFiled: 0,
    autoTerminationFrom: 0,
    retracted: false,
    retracting: false,
  };
  const run = (carried?.runs ?? 0) + 1;
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const monitored = () => status === 'monitoring' || status === 'terminationRequested';
  /** Read through a call, so a check after an await is not narrowed away by the one before it. */
  const cancelled = () => status === 'cancelled';

  setHandler(recallStateQuery, () => ({
    recallId,
    status,
    recallClass: rule?.recallClass ?? null,
    openTaskIds: inbox.openTaskIds(),
    counts,
    notifiedAt: iso(p.notifiedAt),
    nextReminderAt: monitored() ? iso(p.nextReminderAt) : null,
    nextReportAt: monitored() ? iso(p.nextReportAt) : null,
    reminderRounds: p.reminderRounds,
    reportsFiled: p.reportsFiled,
    run,
    waitingFor: [
      ...(status === 'notifying' ? [`notices: batches after party ${p.after ?? '(the first)'}`] : []),
      ...inbox.openTaskIds().map((id) => `task ${id}`),
    ],
  }));

  /** A change of the recall: the state here at once, its row in order with every other write. */
  function change(c: Omit<RecallChange, 'recallId' | 'at'>): Promise<void> {
    // A step that finishes after the recall ended (a batch in flight at the cancel) moves it nowhere.
    if (c.status && c.status !== status && closedRecallStatuses.includes(status)) return Promise.resolve();
    if (c.status && c.status !== status) {
      status = c.status;
      changes++;
      upsertSearchAttributes([{ key: recallSearchAttributes.status, value: status }]);
    }
    const at = new Date().toISOString();
    return write(() => local.recordRecallChange({ recallId, at, ...c }));
  }

  let submission: SubmitRecall | undefined;
  setHandler(
    submitRecallUpdate,
    async (s) => {
      const first = recording === undefined;
      const enteredAt = new Date().toISOString();
      recording ??= write(() => local.recordRecall(s, enteredAt));
      submission ??= s;
      return { recallId, affected: (await recording).affected, created: first };
    },
    {
      validator: (s) => refuseStrangeEntry('recall', recallId, { ...s, id: s.recallId }, submission),
    },
  );

  setHandler(
    recallCommandUpdate,
    async (r) => {
      if (r.command === 'cancel') await cancel(r.actor, r.reason);
      else await requestTermination(r.actor, r.reason);
      return { recallId, command: r.command, status };
    },
    {
      validator: (r) => {
        if (!recording) refuse('RECALL_STATUS_CONFLICT', `Recall ${recallId} is not recorded yet`);
        const verdict = recallCommandVerdict(recallId, status, r.command);
        if (!verdict.ok) refuse(verdict.code, verdict.message);
      },
    },
  );

  /** Raised in error: every open task withdrawn; the main flow then tells whoever was notified. */
  async function cancel(actor: string, reason: string) {
    if (status === 'cancelled') return;
    const at = new Date().toISOString();
    await change({ status: 'cancelled', cancellation: { by: actor, reason, at }, nextReminderAt: null, nextReportAt: null });
    for (const id of inbox.openTaskIds()) await inbox.withdraw(id, `recall cancelled: ${reason}`);
  }

  /** Product safety decides whether the recall may end; until then monitoring goes on. */
  async function requestTermination(actor: string, reason: string) {
    termination = { requestedBy: actor, reason, at: new Date().toISOString() };
    terminationTaskId = `${recallId}:termination:${++tasksOpened}`;
    await change({ status: 'terminationRequested', termination });
    await inbox.open({
      id: terminationTaskId,
      kind: 'recallTermination',
      group: productSafetyGroup,
      title: `Approve the termination of recall ${recallId}: ${reason}`,
      input: {
        recallId,
        reason,
        requestedBy: actor,
        counts,
        effectiveness: counts && rule ? effectiveness(counts, rule.effectivenessTargetPercent) : null,
      },
      due: { hours: 72, priority: 2 },
    });
    watchTermination(terminationTaskId);
  }

  function watchTermination(id: string) {
    void inbox.awaitOutcome(id).then((outcome) => {
      if (!outcome) return;
      decision = { ...(outcome as { approved: boolean; rationale?: string }), by: inbox.task(id)?.assignee ?? 'unknown' };
      changes++;
    });
  }

  // Watched before the first await: an answer in this run's first workflow task is not missed.
  // (It may be answered already: an update buffered for this run is applied as its handler is set.)
  if (terminationTaskId && decision === undefined && inbox.task(terminationTaskId)) watchTermination(terminationTaskId);
  /** Reports are filed one after another beside the monitoring, so a regulator that is down holds up no reminder. */
  let reporting: Promise<void> = Promise.resolve();
  let reportsPending = 0;

  await condition(() => recording !== undefined);
  const terms = await recording!;
  if (!carried) upsertSearchAttributes([{ key: recallSearchAttributes.status, value: status }]);
  // The scope held parties when the API counted them, but none when the recall was written (they ended meanwhile).
  if (status === 'initiated' && terms.affected === 0)
    await change({
      status: 'cancelled',
      cancellation: {
        by: 'system',
        reason: 'no customer held an affected instance when the recall was written',
        at: new Date().toISOString(),
      },
    });

  if (status === 'initiated') await assess();
  if (status === 'notifying') await notifyParties();
  if (monitored()) await monitor();
  await reporting;
  if (status === 'cancelled' && !p.retracted) await retract();
  await condition(allHandlersFinished);
  return status;

  /** 6.4.2: product safety assesses the hazard; its class fixes the recall's terms. */
  async function assess() {
    const taskId = `${recallId}:hazard`;
    const assessing = change({ status: 'assessing' });
    const outcome = (await inbox.awaitTask({
      id: taskId,
      kind: 'hazardAssessment',
      group: productSafetyGroup,
      title: `Assess the hazard of recall ${recallId} (${terms.affected} parties affected)`,
      input: { recallId, affected: terms.affected, quantity: terms.quantity },
      due: { hours: 24, priority: 1 },
    })) as Assessment | undefined;
    await assessing;
    if (!outcome || status === 'cancelled') return;
    const classRule = await write(() => local.recallClassRule(outcome.class));
    // A cancel while the class was read: nothing went out, nothing is to be retracted or reported.
    if (cancelled()) return;
    rule = classRule;
    const now = Date.now();
    p.notifyingFrom = now;
    // Status reports run from the classification (21 CFR 7.53: at intervals the agency sets, 2 to 4 weeks).
    p.nextReportAt = now + durationMs(rule.reportEvery)!;
    await change({
      status: 'notifying',
      assessment: {
        likelihood: outcome.likelihood,
        consequence: outcome.consequence,
        class: outcome.class,
        rationale: outcome.rationale ?? null,
        by: inbox.task(taskId)?.assignee ?? 'unknown',
        at: new Date(now).toISOString(),
      },
      classRule: rule,
      notifyingFrom: iso(now)!,
      nextReportAt: iso(p.nextReportAt),
    });
  }

  /** 6.4.3: one notice per party, in batches; a cancel stops after the batch in flight. */
  async function notifyParties() {
    if (!(await sendAll({ kind: 'notice' }, 'sending the notices', ['retry']))) return;
    const now = Date.now();
    p.notifiedAt = now;
    p.nextReminderAt = now + durationMs(rule!.reminderEvery)!;
    p.nextCheckAt = now;
    await change({ status: 'monitoring', notifiedAt: iso(now)!, nextReminderAt: iso(p.nextReminderAt) });
  }

  /**
   * 6.4.4 and 6.4.5: reports and reminders at the class's cadence, the responses read daily;
   * the termination asked for once the checks reach the target, decided by product safety.
   */
  async function monitor() {
    while (monitored()) {
      if (decision) {
        await decide(decision);
        continue;
      }
      // A report waiting on people goes on in this run; the next one continues as new.
      if (historyFull() && reportsPending === 0) await continueAsNew();
      const seen = changes;
      const next = Math.min(p.nextCheckAt!, p.nextReminderAt!, p.nextReportAt!);
      if (await condition(() => changes !== seen, Math.max(next - Date.now(), 1))) continue;
      const now = Date.now();
      if (now >= p.nextReportAt!) {
        const number = ++p.reportsFiled;
        reportsPending++;
        reporting = reporting.then(() => report(number, false)).finally(() => reportsPending--);
        p.nextReportAt = nextSlot(p.nextReportAt!, rule!.reportEvery, now);
        await change({ nextReportAt: iso(p.nextReportAt) });
      }
      if (now >= p.nextReminderAt!) {
        p.reminderRounds++;
        // Skipped by people (the system down), the round is over: the next one reminds again.
        await sendAll({ kind: 'reminder', round: p.reminderRounds }, `reminder round ${p.reminderRounds}`, ['retry', 'skip']);
        if (!monitored()) break;
        p.nextReminderAt = nextSlot(p.nextReminderAt!, rule!.reminderEvery, now);
        await change({ nextReminderAt: iso(p.nextReminderAt) });
      }
      if (now >= p.nextCheckAt!) {
        counts = await write(() => local.recallCounts(recallId, terms.affected));
        p.nextCheckAt = now + checkEvery;
        const { targetMet, respondedPercent } = effectiveness(counts, rule!.effectivenessTargetPercent);
        if (targetMet && status === 'monitoring' && now >= p.autoTerminationFrom)
          await requestTermination(
            'system',
            `effectiveness target met: ${respondedPercent}% of the parties checked, level ${rule!.effectivenessLevel} asks ${rule!.effectivenessTargetPercent}%`,
          );
      }
    }
  }

  /** The next time of a cadence after `now`: slots missed meanwhile (a long fallout) are not made up in a burst. */
  function nextSlot(from: number, every: string, now: number) {
    let next = from + durationMs(every)!;
    while (next <= now) next += durationMs(every)!;
    return next;
  }

  /** 6.4.6: approved, the recall ends with a final report; refused, monitoring goes on. */
  async function decide(d: Decision) {
    decision = undefined;
    const decided = {
      ...termination!,
      decision: { approved: d.approved, by: d.by, rationale: d.rationale ?? null, at: new Date().toISOString() },
    };
    terminationTaskId = null;
    if (!d.approved) {
      // Refused: the target met asks again only after the next report, not at tomorrow's check.
      p.autoTerminationFrom = p.nextReportAt!;
      termination = null;
      await change({ status: 'monitoring', termination: decided });
      return;
    }
    await change({
      status: 'terminated',
      termination: decided,
      terminatedAt: new Date().toISOString(),
      nextReminderAt: null,
      nextReportAt: null,
    });
    await reporting;
    await report(++p.reportsFiled, true);
  }

  /** Cancelled: the parties notified are told the recall is withdrawn, and the regulator gets the final report. */
  async function retract() {
    if (p.notifyingFrom !== null) {
      // A run continued as new mid-retraction goes on from the party it reached.
      if (!p.retracting) p.after = null;
      p.retracting = true;
      await sendAll({ kind: 'retraction' }, 'sending the retractions', ['retry', 'skip']);
      await report(++p.reportsFiled, true);
    }
    p.retracted = true;
  }

  /** A status report (or the final one), filed with the regulator and kept; skipped by people, it was filed by hand. */
  async function report(number: number, final: boolean) {
    const filed = await persistently(
      `filing report ${number}`,
      () => outside.fileRecallReport({ recallId, number, final, at: new Date().toISOString() }),
      ['retry', 'skip'],
      // A status report that fails once the recall ended is not put to people: the final report says it all.
      () => !final && !monitored(),
    );
    if (filed) counts = filed;
  }

  /**
   * Sends every message of a kind in batches, going on from where the last batch (or run) got
   * to. False when the recall was cancelled or the messages given up on the way.
   */
  async function sendAll(
    b: Omit<MessageBatch, 'recallId' | 'after'>,
    what: string,
    actions: readonly ('retry' | 'skip')[],
  ): Promise<boolean> {
    // Given up (cancelled, or skipped by people): the cursor goes back, so the next kind or round starts at the first party.
    const giveUp = () => {
      p.after = null;
      return false;
    };
    for (;;) {
      if (status === 'cancelled' && b.kind !== 'retraction') return giveUp();
      if (b.kind !== 'reminder' && historyFull()) await continueAsNew();
      const sent = await persistently(
        what,
        () =>
          outside.sendRecallMessages({ recallId, ...b, after: p.after, ...(partiesPerActivity ? { parties: partiesPerActivity } : {}) }),
        actions,
      );
      if (!sent) return giveUp();
      p.after = sent.after;
      if (sent.done) {
        p.after = null;
        return true;
      }
    }
  }

  /**
   * A call outside that failed through its retries goes to product safety, saying what failed:
   * retry, or skip where the step may be done by hand (a report, a reminder round, retractions).
   * Notices are only retried: a party must be told.
   */
  async function persistently<T>(
    what: string,
    call: () => Promise<T>,
    actions: readonly ('retry' | 'skip')[],
    moot: () => boolean = () => false,
  ): Promise<T | undefined> {
    for (;;) {
      try {
        return await call();
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        if (moot()) return undefined;
        const outcome = (await inbox.awaitTask({
          id: `${recallId}:fallout:${++tasksOpened}`,
          kind: 'fallout',
          group: productSafetyGroup,
          title: `Recall ${recallId}: ${what} failed: ${messageOf(err)}`.slice(0, 500),
          input: { recallId, step: what, error: messageOf(err) },
          due: { hours: 24, priority: 1 },
          actions,
        })) as { action: 'retry' | 'skip'; reason?: string } | undefined;
        // Withdrawn (the recall was cancelled) or skipped: the step is over.
        if (!outcome || outcome.action === 'skip') return undefined;
      }
    }
  }

  function historyFull() {
    return workflowInfo().continueAsNewSuggested || (historyEventLimit !== undefined && workflowInfo().historyLength > historyEventLimit);
  }

  async function continueAsNew(): Promise<never> {
    await condition(allHandlersFinished);
    const next: RecallCarried = {
      terms,
      status,
      rule,
      progress: p,
      counts,
      tasksOpened,
      terminationTaskId,
      termination,
      // A decision taken while this run was finishing its handlers is the next run's to act on.
      decision: decision ?? null,
      tasks: inbox.snapshot(),
      runs: run,
    };
    // Search attributes go along explicitly: support finds the recall by them, whichever run it is in.
    return makeContinueAsNewFunc<RecallWorkflow>({ typedSearchAttributes: workflowInfo().typedSearchAttributes })({
      recallId,
      historyEventLimit,
      partiesPerActivity,
      carried: next,
    });
  }
}
recall satisfies RecallWorkflow;
