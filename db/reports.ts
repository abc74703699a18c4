/**
 * The SLA report (seed 002: CSLs and SLOs measured per period): per case kind and severity, the
 * cases entered in the period, how their targets went, how long resolution took, how far they
 * escalated and what the customers said.
 */
import { and, eq, gte, lt } from 'drizzle-orm';
import type { CaseKind } from '../domain/vocabulary.js';
import type { SlaReportRow } from '../domain/views.js';
import type { Db } from './client.js';
import { cases } from './schema.js';

/** The p-th percentile (nearest rank) of sorted values. */
const percentile = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;

export async function slaReport(db: Db, q: { from: Date; to: Date; kind?: CaseKind }): Promise<SlaReportRow[]> {
  const rows = await db
    .select()
    .from(cases)
    .where(and(gte(cases.createdAt, q.from), lt(cases.createdAt, q.to), q.kind ? eq(cases.kind, q.kind) : undefined));
  const groups = new Map<string, typeof rows>();
  for (const r of rows) groups.set(`${r.kind}/${r.severity}`, [...(groups.get(`${r.kind}/${r.severity}`) ?? []), r]);
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, group]) => {
      const clocks = group.flatMap((c) => c.sla);
      const decided = clocks.filter((c) => c.result !== null);
      const breached = clocks.filter((c) => c.breachedAt !== null);
      const resolveMs = group
        .filter((c) => c.resolvedAt)
        .map((c) => c.resolvedAt!.getTime() - c.createdAt.getTime())
        .sort((a, b) => a - b);
      const closed = group.filter((c) => c.status === 'closed');
      const surveys = group.filter((c) => c.satisfaction).map((c) => c.satisfaction!.score);
      const escalations: Record<string, number> = {};
      for (const c of group) for (const e of c.escalations) escalations[e.level] = (escalations[e.level] ?? 0) + 1;
      return {
        kind: group[0]!.kind,
        severity: group[0]!.severity,
        cases: group.length,
        targetsDecided: decided.length,
        percentMet: decided.length ? Math.round((1000 * decided.filter((c) => c.result === 'met').length) / decided.length) / 10 : null,
        breaches: { csl: breached.filter((c) => c.level === 'CSL').length, slo: breached.filter((c) => c.level === 'SLO').length },
        resolved: resolveMs.length,
        meanResolveMs: resolveMs.length ? Math.round(resolveMs.reduce((a, b) => a + b, 0) / resolveMs.length) : null,
        p90ResolveMs: resolveMs.length ? percentile(resolveMs, 90) : null,
        escalationsPerLevel: escalations,
        satisfaction: {
          average: surveys.length ? Math.round((100 * surveys.reduce((a, b) => a + b, 0)) / surveys.length) / 100 : null,
          responseRate: closed.length ? Math.round((1000 * surveys.length) / closed.length) / 10 : null,
        },
      };
    });
}
