/**
 * The `datahost` hosting package (seed 003, 5.3.5 and figure 23). Package components and the
 * optional ones "activated within 24 h" go to activation 1; search-engine placement and the
 * additional disk are manual; the rest go to activation 2. Prices are ours (the seed gives none).
 */
import type { Fulfilment } from '../domain/vocabulary.js';

export interface CatalogueProduct {
  id: string;
  family: string;
  name: string;
  description: string;
  currency: string;
  oneTimeCents: number;
  recurringCents: number;
  /** What a customer reports when the product fails; defects name one (seed 003, 5.3.4). */
  symptoms: { id: string; name: string }[];
  /** The first level's triage list: asked before a defect goes to service management. */
  triageQuestions: { id: string; text: string }[];
  components: {
    id: string;
    name: string;
    mandatory: boolean;
    fulfilment: Fulfilment;
    manualGroup?: string;
    oneTimeCents: number;
    recurringCents: number;
  }[];
}

export const datahost: CatalogueProduct = {
  id: 'datahost',
  family: 'datahost',
  name: 'Datahost web hosting',
  description: 'Hosting package: web space, domain and mailboxes, with optional database, FTP, backup and more',
  currency: 'EUR',
  oneTimeCents: 15_000,
  recurringCents: 4_900,
  symptoms: [
    { id: 'ftp-unreachable', name: 'FTP unreachable' },
    { id: 'mail-not-delivered', name: 'Mail not delivered' },
    { id: 'site-down', name: 'Site down' },
  ],
  triageQuestions: [
    { id: 'since', text: 'Since when does it happen?' },
    { id: 'all-users', text: 'Does it happen for every user and from every network?' },
    { id: 'changes', text: 'Was anything changed recently (DNS, passwords, software)?' },
    { id: 'status-page', text: 'Did the customer check the status page for a known outage?' },
  ],
  components: [
    { id: 'datahost.web-space', name: 'Web space 5 GB', mandatory: true, fulfilment: 'auto-phase-1', oneTimeCents: 0, recurringCents: 0 },
    { id: 'datahost.domain', name: 'Domain name', mandatory: true, fulfilment: 'auto-phase-1', oneTimeCents: 1_500, recurringCents: 150 },
    { id: 'datahost.mailboxes', name: 'Mailboxes (10)', mandatory: true, fulfilment: 'auto-phase-1', oneTimeCents: 0, recurringCents: 500 },
    {
      id: 'datahost.database',
      name: 'Database Request',
      mandatory: false,
      fulfilment: 'auto-phase-1',
      oneTimeCents: 2_000,
      recurringCents: 800,
    },
    { id: 'datahost.ftp', name: 'FTP Server', mandatory: false, fulfilment: 'auto-phase-1', oneTimeCents: 0, recurringCents: 300 },
    {
      id: 'datahost.backup-db',
      name: 'Backup Online (DB)',
      mandatory: false,
      fulfilment: 'auto-phase-1',
      oneTimeCents: 1_000,
      recurringCents: 600,
    },
    { id: 'datahost.log-access', name: 'Log Access', mandatory: false, fulfilment: 'auto-phase-1', oneTimeCents: 0, recurringCents: 200 },
    {
      id: 'datahost.search-engine',
      name: 'Search-engine site placement',
      mandatory: false,
      fulfilment: 'manual',
      manualGroup: 'web-marketing',
      oneTimeCents: 9_900,
      recurringCents: 0,
    },
    {
      id: 'datahost.extra-disk',
      name: 'Additional disk 10 GB',
      mandatory: false,
      fulfilment: 'manual',
      manualGroup: 'provisioning',
      oneTimeCents: 0,
      recurringCents: 500,
    },
    { id: 'datahost.ssl', name: 'SSL certificate', mandatory: false, fulfilment: 'auto-phase-2', oneTimeCents: 3_000, recurringCents: 200 },
    {
      id: 'datahost.monitoring',
      name: 'Uptime monitoring',
      mandatory: false,
      fulfilment: 'auto-phase-2',
      oneTimeCents: 0,
      recurringCents: 400,
    },
  ],
};

export const catalogue: CatalogueProduct[] = [datahost];
