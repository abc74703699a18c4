/**
 * The regulator that receives a recall's status reports and its final report (21 CFR 7.53).
 * - `http`: POSTs the report to REGULATOR_URL/recallReports, idempotency key the report's id;
 *   answers `{ reference }`.
 * - simulator: keeps the first filing per report id and answers a reference for it.
 */
import { postJson } from './http.js';

export interface RecallReport {
  id: string;
  recallId: string;
  number: number;
  final: boolean;
  at: string;
  figures: Record<string, unknown>;
}

export interface Regulator {
  file(report: RecallReport): Promise<{ reference: string }>;
}

export class HttpRegulator implements Regulator {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 30_000,
  ) {}

  async file(report: RecallReport) {
    const text = await postJson('regulator', new URL('/recallReports', this.baseUrl), report.id, report, {
      refusedAs: 'ReportRejected',
      timeoutMs: this.timeoutMs,
    });
    return JSON.parse(text) as { reference: string };
  }
}

export class RegulatorSimulator implements Regulator {
  readonly filed = new Map<string, RecallReport & { reference: string }>();

  async file(report: RecallReport) {
    const first = this.filed.get(report.id) ?? { ...report, reference: `SIM-REG-${this.filed.size + 1}` };
    this.filed.set(report.id, first);
    return { reference: first.reference };
  }

  reportsOf(recallId: string) {
    return [...this.filed.values()].filter((r) => r.recallId === recallId);
  }
}
