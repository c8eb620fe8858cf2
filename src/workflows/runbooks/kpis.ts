import type { MonthlyFigures } from '../../reports/figures.js';
import type { StepResult } from './steps.js';
import { KPI_TARGETS } from '../../runbooks/targets.js';

export interface KpiLine {
  kpi: string;
  value: number | null;
  target: string;
  met: boolean;
}

/** Holds the last 30 days against the KPI targets and the plan limits. */
export function kpiReview(f: MonthlyFigures): StepResult<{ figures: MonthlyFigures; kpis: KpiLine[] }> {
  const sync = f.thisMonth.sync;
  const attempts = sync.reduce((n, s) => n + s.total, 0);
  const failed = sync.reduce((n, s) => n + s.failed, 0);
  const success = attempts === 0 ? null : Math.round(((attempts - failed) / attempts) * 10000) / 100;
  const avg = attempts === 0 ? null : Math.round(sync.reduce((n, s) => n + s.avgDurationMs * s.total, 0) / attempts);
  const hits = f.thisMonth.api.reduce((n, u) => n + u.rateLimitHits, 0);
  const kpis: KpiLine[] = [
    {
      kpi: 'sync success rate %',
      value: success,
      target: `> ${KPI_TARGETS.syncSuccessRatePct}`,
      met: success === null || success > KPI_TARGETS.syncSuccessRatePct,
    },
    {
      kpi: 'average sync ms',
      value: avg,
      target: `< ${KPI_TARGETS.avgSyncMs}`,
      met: avg === null || avg < KPI_TARGETS.avgSyncMs,
    },
    {
      kpi: 'failed syncs per day',
      value: f.thisMonth.failedSyncsPerDay,
      target: `< ${KPI_TARGETS.failedSyncsPerDay}`,
      met: f.thisMonth.failedSyncsPerDay < KPI_TARGETS.failedSyncsPerDay,
    },
    {
      kpi: 'rate-limit hits',
      value: hits,
      target: `= ${KPI_TARGETS.rateLimitHits}`,
      met: hits === KPI_TARGETS.rateLimitHits,
    },
    ...f.thisMonth.api.map((u) => ({
      kpi: `${u.integration} peak day % of plan`,
      value: u.peakQuotaPct,
      target: '<= 80',
      met: (u.peakQuotaPct ?? 0) <= 80,
    })),
  ];
  const missed = kpis.filter((k) => !k.met);
  return {
    status: missed.length > 0 ? 'warning' : 'ok',
    summary:
      missed.length === 0
        ? `all ${kpis.length} KPIs on target`
        : `${missed.length} of ${kpis.length} KPIs missed: ${missed.map((k) => k.kpi).join(', ')}`,
    data: { figures: f, kpis },
  };
}
