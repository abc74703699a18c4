/**
 * The recall workflow's contract: its type name, id and input, its updates and query. Imported by
 * the workflow and by the API. No zod here (the payload schemas are in domain/recall-commands.ts).
 */
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { RecallCommandRequest, SubmitRecall } from '../domain/recall-commands.js';
import type { RecallClassRule, RecallCommand, RecallCounts, RecallRefusal } from '../domain/recalls.js';
import type { RecallClass, RecallStatus } from '../domain/vocabulary.js';
import type { RecallTerms } from '../activities/recalls.js';
import type { TaskState } from './inbox.contract.js';

export type { RecallCommandRequest, SubmitRecall, RecallRefusal };

/** The name the worker registers the recall workflow under (workflows/index.ts). */
export const recallWorkflowType = 'recall';
export const recallWorkflowId = (recallId: string) => `recall-${recallId}`;

export interface RecallInput {
  recallId: string;
  /** Continue as new past this many history events (besides when Temporal suggests it); tests set it low. */
  historyEventLimit?: number;
  /** Parties one batch activity takes (5,000 when unset); tests set it low to cross batches with few parties. */
  partiesPerActivity?: number;
  /** Where the last run stood, when this one continues it. */
  carried?: RecallCarried;
}

/** The recall's clocks and progress: what a run continued as new needs to go on. */
export interface RecallProgress {
  /** The last party a batch of notices (or retractions) reached; null before the first. */
  after: string | null;
  notifyingFrom: number | null;
  notifiedAt: number | null;
  nextReminderAt: number | null;
  nextReportAt: number | null;
  nextCheckAt: number | null;
  reminderRounds: number;
  reportsFiled: number;
  /** After a refused termination, the target met asks again only from here (the next report). */
  autoTerminationFrom: number;
  retracted: boolean;
  /** Retractions under way (a run continued as new mid-way goes on from `after`). */
  retracting: boolean;
}

export interface RecallCarried {
  terms: RecallTerms;
  status: RecallStatus;
  rule: RecallClassRule | null;
  progress: RecallProgress;
  counts: RecallCounts | null;
  tasksOpened: number;
  terminationTaskId: string | null;
  termination: { requestedBy: string; reason: string; at: string } | null;
  /** Product safety's termination decision, taken but not yet acted on. */
  decision: { approved: boolean; rationale?: string; by: string } | null;
  tasks: TaskState[];
  runs: number;
}
export type RecallWorkflow = (input: RecallInput) => Promise<RecallStatus>;

export interface RecallWorkflowState {
  recallId: string;
  status: RecallStatus;
  recallClass: RecallClass | null;
  openTaskIds: string[];
  /** The figures as last read (at each daily check, report and reminder round). */
  counts: RecallCounts | null;
  notifiedAt: string | null;
  nextReminderAt: string | null;
  nextReportAt: string | null;
  reminderRounds: number;
  reportsFiled: number;
  /** How many runs the recall has had (continue-as-new keeps each history short). */
  run: number;
  waitingFor: string[];
}

/** Update-with-start's update: answers once the recall and its parties are written (status initiated). */
export const submitRecallUpdate = defineUpdate<{ recallId: string; affected: number; created: boolean }, [SubmitRecall]>('submitRecall');
/** Cancel (raised in error) or ask for termination; answers once the change is written. */
export const recallCommandUpdate = defineUpdate<{ recallId: string; command: RecallCommand; status: RecallStatus }, [RecallCommandRequest]>(
  'recallCommand',
);
export const recallStateQuery = defineQuery<RecallWorkflowState>('state');

/** What support finds recalls by in Temporal's visibility: registered beside the case's (runtime/temporal-server.ts). */
export const recallSearchAttributes = {
  status: defineSearchAttributeKey('RecallStatus', 'KEYWORD'),
} as const;

/** The inbox that decides a recall's hazard and its end, and takes its fallout. */
export const productSafetyGroup = 'product-safety';
