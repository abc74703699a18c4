/**
 * The case workflow's contract: its type name, id and input, its updates and query. Imported by
 * the workflow and by the API. No zod here (the payload schemas are in domain/case-commands.ts).
 */
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { CaseCommandRequest, SubmitCase } from '../domain/case-commands.js';
import type { CaseCommand, CaseRefusal, EscalationLevel } from '../domain/cases.js';
import type { CaseKind, CaseStatus } from '../domain/vocabulary.js';
import type { SlaClock } from '../domain/sla.js';
import type { CaseTerms } from '../activities/cases.js';
import type { TaskState } from './inbox.contract.js';

export type { CaseCommandRequest, SubmitCase, CaseRefusal };

/** The name the worker registers the case workflow under (workflows/index.ts). */
export const caseWorkflowType = 'case';
export const caseWorkflowId = (caseId: string) => `case-${caseId}`;

export interface CaseInput {
  caseId: string;
  /** Continue as new past this many history events (besides when Temporal suggests it); tests set it low. */
  historyEventLimit?: number;
  /** Where the last run stood, when this one continues it. */
  carried?: CaseCarried;
}

export interface CaseCarried {
  submission: SubmitCase;
  terms: CaseTerms;
  status: CaseStatus;
  events: number;
  ownerGroup: string | null;
  taskId: string | null;
  tasksOpened: number;
  escalations: { level: number; group: string; at: string }[];
  countedMs: number;
  runningSince: number | null;
  clocks: SlaClock[];
  tasks: TaskState[];
}
export type CaseWorkflow = (input: CaseInput) => Promise<CaseStatus>;

export interface CaseWorkflowState {
  caseId: string;
  kind: CaseKind | null;
  status: CaseStatus;
  /** The group whose inbox holds the case's task. */
  ownerGroup: string | null;
  openTaskIds: string[];
  escalationLevel: number;
  escalations: { level: number; group: string; at: string }[];
  /** The next level and when it falls due (null while the ladder is stopped: pending, resolved, or none left). */
  nextEscalation: (EscalationLevel & { due: string }) | null;
  /** Time counted towards the ladder so far: time in pending and resolved excluded (ms). */
  ladderElapsedMs: number;
  /** Each SLA clock: warnings given, breached, and its result once stopped. */
  sla: { metric: string; warnings: number[]; breached: boolean; result: 'met' | 'breached' | null }[];
  waitingFor: string[];
}

/** Codes a refused case command fails with; api/errors.ts maps each to its HTTP status. */
export const caseRefusals = ['CASE_STATUS_CONFLICT', 'TRIAGE_NOT_FOR_KIND', 'CASE_CONFLICT'] as const;

/** Update-with-start's update: answers once the case is written (status gatheringInfo). */
export const submitCaseUpdate = defineUpdate<{ caseId: string; customerId: string; created: boolean }, [SubmitCase]>('submitCase');
/** Every life-cycle command; answers once the change is written. */
export const caseCommandUpdate = defineUpdate<{ caseId: string; command: CaseCommand; status: CaseStatus }, [CaseCommandRequest]>(
  'caseCommand',
);
export const caseStateQuery = defineQuery<CaseWorkflowState>('state');

/**
 * What support finds cases by in Temporal's visibility (`GET /workflows?caseKind=&caseStatus=&customerId=`): registered by
 * the dev server `npm start` runs; on another cluster the operator creates them (README).
 */
export const caseSearchAttributes = {
  kind: defineSearchAttributeKey('CaseKind', 'KEYWORD'),
  status: defineSearchAttributeKey('CaseStatus', 'KEYWORD'),
  customerId: defineSearchAttributeKey('CustomerId', 'KEYWORD'),
} as const;
