/**
 * Case entry and the case's commands: the zod schemas the API validates with and derives its
 * OpenAPI from, and the types the case workflow takes (it imports types only).
 */
import { z } from 'zod';
import { caseChannels, caseKinds, caseOrigins, caseSeverities } from './vocabulary.js';

const customerRef = z.union([
  z.object({ id: z.string().min(1).max(64) }).strict(),
  z.object({ name: z.string().min(1).max(200), taxId: z.string().regex(/^[A-Za-z0-9-]{3,32}$/, 'letters, digits and dashes') }).strict(),
]);

export const ticketRequest = z
  .object({
    externalId: z.string().min(1).max(100).optional().describe("The caller's own reference; repeating it returns the first case"),
    kind: z.enum(caseKinds),
    origin: z.enum(caseOrigins).default('external'),
    channel: z.enum(caseChannels),
    severity: z.enum(caseSeverities).default('minor'),
    customer: customerRef,
    contact: z.object({ name: z.string().min(1).max(200), email: z.email().max(254), phone: z.string().max(40).optional() }).strict(),
    productId: z.string().min(1).max(100).optional().describe('Defects: the catalogue product'),
    symptom: z.string().min(1).max(100).optional().describe("Defects: one of the product's symptoms"),
    relatedOrderId: z.string().max(100).optional(),
    invoiceId: z.string().max(100).optional().describe('Billing cases: the invoice disputed'),
    description: z.string().min(1).max(4000),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.kind === 'defect' && (!t.productId || !t.symptom))
      ctx.addIssue({ code: 'custom', path: ['productId'], message: 'a defect names its productId and symptom' });
    if (t.symptom && !t.productId)
      ctx.addIssue({ code: 'custom', path: ['symptom'], message: 'a symptom is of a product: give productId' });
  })
  .meta({ id: 'TroubleTicketRequest' });
export type TicketRequest = z.infer<typeof ticketRequest>;

/** What the case workflow records at entry (the API resolved the customer and the case id). */
export interface SubmitCase extends Omit<TicketRequest, 'externalId'> {
  caseId: string;
  customerId: string;
  externalId: string | null;
  requestHash: string;
  idempotencyKey: string | null;
  createdBy: string;
}

/** The body of each command route (`POST /troubleTickets/{id}/{command}`). */
export const caseCommandBodies = {
  open: z.object({}).strict().default({}),
  pending: z.object({ reason: z.string().min(1).max(2000) }).strict(),
  resume: z.object({}).strict().default({}),
  resolve: z.object({ resolution: z.string().min(1).max(4000) }).strict(),
  close: z.object({}).strict().default({}),
  reopen: z.object({ comment: z.string().min(1).max(4000) }).strict(),
  cancel: z.object({ reason: z.string().min(1).max(2000) }).strict(),
  notes: z.object({ text: z.string().min(1).max(4000) }).strict(),
  triage: z
    .object({
      answers: z.array(z.object({ questionId: z.string().min(1).max(100), answer: z.string().min(1).max(2000) }).strict()).max(50),
      solved: z.boolean(),
    })
    .strict(),
} as const;
export type CaseCommandBody<C extends keyof typeof caseCommandBodies> = z.infer<(typeof caseCommandBodies)[C]>;

/** The case workflow's command update: one command, its body, and who gives it. */
export type CaseCommandRequest = {
  // An empty body infers as Record<string, never>, which no command object would fit.
  [C in keyof typeof caseCommandBodies]: { command: C; actor: string } & (CaseCommandBody<C> extends Record<string, never>
    ? object
    : CaseCommandBody<C>);
}[keyof typeof caseCommandBodies];
