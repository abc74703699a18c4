/**
 * The escalation rules the platform ships with: seed 003, figure 19 (days counted from the
 * case's opening). Sales has no figure; its ladder is ours. Seeded once; admins change them
 * through `PUT /api/v1/escalationRules/{id}`, and a change applies to cases started after it.
 */
import type { EscalationRule } from '../domain/cases.js';

export const defaultEscalationRules: (EscalationRule & { description: string })[] = [
  {
    id: 'billing',
    kind: 'billing',
    productId: null,
    symptom: null,
    levels: [
      { level: 1, group: 'billing-coordination', after: 'P7D' },
      { level: 2, group: 'billing-management', after: 'P14D' },
      { level: 3, group: 'superintendent', after: 'P21D' },
    ],
    description: 'Billing claims and requests (figure 19): coordination, manager, superintendent',
  },
  {
    id: 'defect',
    kind: 'defect',
    productId: null,
    symptom: null,
    levels: [
      { level: 1, group: 'technical-management', after: 'P4D' },
      { level: 2, group: 'area-management', after: 'P6D' },
      { level: 3, group: 'superintendent', after: 'P8D' },
    ],
    description: 'Technical defect tickets (figure 19): technical manager, area manager, superintendent',
  },
  {
    id: 'sales',
    kind: 'sales',
    productId: null,
    symptom: null,
    levels: [
      { level: 1, group: 'sales-management', after: 'P5D' },
      { level: 2, group: 'superintendent', after: 'P10D' },
    ],
    description: 'Sales cases: sales management, then the superintendent',
  },
];
