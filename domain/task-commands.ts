/**
 * The zod schemas of the task-action update's payload and of each task kind's outcome. The API
 * derives its bodies and OpenAPI from them; the workflow bundle never imports this module (zod
 * evaluated in the workflow sandbox costs CPU on every new workflow), only its types.
 */
import { z } from 'zod';
import {
  falloutActions,
  hazardConsequences,
  hazardLikelihoods,
  recallClasses,
  taskActions,
  taskOutcomeProblem,
  type TaskAction,
  type TaskKind,
} from './vocabulary.js';
import { groupName } from './values.js';

/** The kind's business rule (domain/vocabulary) on top of its shape: one rule for API and workflow. */
const withRule = (kind: TaskKind) => (outcome: unknown, ctx: z.RefinementCtx) => {
  const problem = taskOutcomeProblem(kind, outcome);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
};

export const taskOutcomes = {
  /** A back-office operator fulfilled a manual component (seed: Opened -> In Process -> Completed). */
  manualFulfilment: z
    .object({ done: z.literal(true), reference: z.string().max(200).optional(), note: z.string().max(2000).optional() })
    .strict()
    .superRefine(withRule('manualFulfilment'))
    .meta({ id: 'ManualFulfilmentOutcome' }),
  /** What to do with an order step that failed (design section 3: fallout). */
  fallout: z
    .object({ action: z.enum(falloutActions), reason: z.string().min(1).max(2000).optional() })
    .strict()
    .superRefine(withRule('fallout'))
    .meta({ id: 'FalloutOutcome' }),
  /** A case's task is never completed through the inbox: it ends when its case is resolved. */
  caseWork: z.unknown().superRefine(withRule('caseWork')).meta({ id: 'CaseWorkOutcome' }),
  /** Product safety's assessment of a recall's hazard (seed 004, 6.4.2): its class sets the recall's terms. */
  hazardAssessment: z
    .object({
      likelihood: z.enum(hazardLikelihoods),
      consequence: z.enum(hazardConsequences),
      class: z.enum(recallClasses),
      rationale: z.string().min(1).max(4000).optional(),
    })
    .strict()
    .superRefine(withRule('hazardAssessment'))
    .meta({ id: 'HazardAssessmentOutcome' }),
  /** Whether a recall may end (seed 004, 6.4.6): refused, monitoring goes on. */
  recallTermination: z
    .object({ approved: z.boolean(), rationale: z.string().min(1).max(4000).optional() })
    .strict()
    .superRefine(withRule('recallTermination'))
    .meta({ id: 'RecallTerminationOutcome' }),
} as const satisfies Record<TaskKind, z.ZodType>;

const forward = z.object({
  toGroup: groupName.optional(),
  toAssignee: z.string().max(200).optional(),
  message: z.string().min(1).max(2000),
});

/** The body of each action's route (`POST /tasks/{id}/{action}`). */
export const taskActionBodies = {
  claim: z.object({}).strict().default({}),
  release: z.object({}).strict().default({}),
  start: z.object({}).strict().default({}),
  forward: forward.strict().refine((f) => f.toGroup || f.toAssignee, { message: 'give toGroup, toAssignee or both' }),
  complete: z
    .object({
      outcome: z
        .record(z.string(), z.unknown())
        .describe(
          `Per task kind: manualFulfilment { done: true, reference?, note? }; fallout { action: ${falloutActions.join(' | ')}, reason? (a skip needs one) }; ` +
            `hazardAssessment { likelihood: ${hazardLikelihoods.join(' | ')}, consequence: ${hazardConsequences.join(' | ')}, class: I | II | III, rationale? (needed when the class departs from the suggested one) }; ` +
            'recallTermination { approved, rationale? (a refusal needs one) }',
        ),
    })
    .strict(),
} as const satisfies Record<TaskAction, z.ZodType>;

export const actor = z.object({ keyId: z.string(), role: z.string(), groups: z.array(z.string()) });

export const taskActionRequest = z.object({
  taskId: z.string(),
  action: z.enum(taskActions),
  actor,
  /** forward: the group and/or person that receives the task, and why ("send action request"). */
  ...forward.partial().shape,
  outcome: z.unknown().optional(),
});
export type TaskActionRequest = z.infer<typeof taskActionRequest>;
