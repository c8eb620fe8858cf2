import type { ApiUsageStats, SyncStats } from '../activities/runbooks-metrics.js';
import type { MonthlyFigures } from '../activities/runbooks-monthly.js';
import type { WeeklyFigures } from '../activities/runbooks-weekly.js';
import type { RunStep } from '../workflows/run-status.js';
import type { Report, ReportKind, ReportSection, Verdict } from './types.js';

/** What a runbook hands over to be stored as a report. */
export interface ReportInput {
  id: string;
  kind: ReportKind;
  runId: string;
  health: Verdict;
  periodStart: string;
  periodEnd: string;
  steps: RunStep[];
  figures: Record<string, unknown>;
}

const TITLES: Record<ReportKind, string> = {
  daily: 'Daily operations check',
  weekly: 'Weekly operations report',
  monthly: 'Monthly operations review',
};

const rate = (v: number | null) => (v === null ? '—' : `${v} %`);
const keyed = (o: Record<string, number>) => Object.entries(o).sort(([a], [b]) => a.localeCompare(b));

/** Rows of a "this period vs previous" table, with a signed change column. */
function compare(labels: string[], now: (l: string) => number, before: (l: string) => number) {
  return labels.map((l) => {
    const a = now(l);
    const b = before(l);
    return [l, b, a, a - b >= 0 ? `+${a - b}` : String(a - b)];
  });
}

function union(...objects: Array<Record<string, number>>): string[] {
  return [...new Set(objects.flatMap((o) => Object.keys(o)))].sort();
}

function syncSection(title: string, series: [string, string], now: SyncStats[], before: SyncStats[]): ReportSection {
  return {
    title,
    text: 'Share of ZOHO sync attempts that succeeded, per entity, against the 98 % target.',
    chart: {
      series,
      unit: '%',
      bars: now.map((s, i) => ({ label: s.entity, values: [before[i]?.successRate ?? 0, s.successRate ?? 0] })),
    },
    table: {
      columns: ['entity', 'attempts', 'failed', 'success rate', `${series[0]}`, 'target met', 'avg ms'],
      rows: now.map((s, i) => [
        s.entity,
        s.total,
        s.failed,
        rate(s.successRate),
        rate(before[i]?.successRate ?? null),
        s.successRate === null ? '—' : s.successRate >= 98 ? 'yes' : 'NO',
        s.avgDurationMs,
      ]),
    },
  };
}

function apiSection(title: string, series: [string, string], now: ApiUsageStats[], before: ApiUsageStats[]) {
  const prev = (i: string) => before.find((b) => b.integration === i);
  return {
    title,
    chart: {
      series,
      unit: 'calls',
      bars: now.map((u) => ({
        label: u.integration,
        values: [prev(u.integration)?.calls ?? 0, u.calls] as [number, number],
      })),
    },
    table: {
      columns: [
        'integration',
        'calls',
        'errors',
        'error rate',
        'rate-limit hits',
        'peak day',
        'plan limit / day',
        'peak use',
      ],
      rows: now.map((u) => [
        u.integration,
        u.calls,
        u.errors,
        rate(u.errorRate),
        u.rateLimitHits,
        u.peakDayCalls,
        u.planDailyLimit ?? '—',
        rate(u.peakQuotaPct),
      ]),
    },
  } satisfies ReportSection;
}

function weeklySections(f: Record<string, unknown>): ReportSection[] {
  const w = f as unknown as WeeklyFigures & {
    abandoned?: Record<string, number>;
    security?: {
      failedLogins: Array<{ source: string; count: number }>;
      tokenAbuse: Array<{ installationId: number; failedRefreshes: number }>;
    };
  };
  const series: [string, string] = ['previous week', 'this week'];
  const { thisWeek: a, previousWeek: b } = w;
  const table = (labels: string[], now: Record<string, number>, before: Record<string, number>) => ({
    columns: ['', 'previous week', 'this week', 'change'],
    rows: compare(
      labels,
      (l) => now[l] ?? 0,
      (l) => before[l] ?? 0,
    ),
  });
  const sections: ReportSection[] = [
    {
      title: 'Installations',
      text: `New installations: ${a.newInstallations} (previous week ${b.newInstallations}). Tokens expiring within 24 h: ${w.tokensExpiring24h}.`,
      table: { columns: ['status', 'installations'], rows: keyed(w.installationsByStatus) },
    },
    {
      title: 'Token refreshes',
      table: table(union(a.tokenRefreshes, b.tokenRefreshes), a.tokenRefreshes, b.tokenRefreshes),
    },
    {
      title: 'Security events by type',
      table: table(union(a.securityEvents, b.securityEvents), a.securityEvents, b.securityEvents),
    },
    apiSection('API calls, errors and rate-limit hits per integration', series, a.api, b.api),
    syncSection('Sync success rate per entity', series, a.sync, b.sync),
    { title: 'Alerts fired', table: table(union(a.alertsFired, b.alertsFired), a.alertsFired, b.alertsFired) },
    {
      title: 'Incidents opened by severity',
      table: table(union(a.incidentsOpened, b.incidentsOpened), a.incidentsOpened, b.incidentsOpened),
    },
  ];
  if (w.abandoned) {
    sections.push({
      title: 'Stale failures marked abandoned (older than 7 days)',
      table: { columns: ['table', 'rows'], rows: keyed(w.abandoned) },
    });
  }
  if (w.security) {
    sections.push({
      title: 'Security patterns flagged',
      text:
        w.security.failedLogins.length + w.security.tokenAbuse.length === 0
          ? 'None.'
          : 'Review these sources and installations.',
      table: {
        columns: ['pattern', 'who', 'count'],
        rows: [
          ...w.security.failedLogins.map((l) => ['failed logins', l.source, l.count]),
          ...w.security.tokenAbuse.map((t) => [
            'failed token refreshes',
            `installation ${t.installationId}`,
            t.failedRefreshes,
          ]),
        ],
      },
    });
  }
  return sections;
}

function monthlySections(f: Record<string, unknown>): ReportSection[] {
  const m = f as unknown as MonthlyFigures & {
    kpis?: Array<{ kpi: string; value: number | null; target: string; met: boolean }>;
    reconciliation?: Record<string, Record<string, number>>;
    retention?: Array<{ policy: string; table: string; cutoff: string; deleted: number; batches: number }>;
    credentials?: { buckets: Record<string, number>; overdue: Array<{ installationId: number; ageDays: number }> };
  };
  const series: [string, string] = ['previous 30 days', 'last 30 days'];
  const sections: ReportSection[] = [];
  if (m.kpis) {
    sections.push({
      title: 'KPI review',
      table: {
        columns: ['KPI', 'value', 'target', 'met'],
        rows: m.kpis.map((k) => [k.kpi, k.value ?? '—', k.target, k.met ? 'yes' : 'NO']),
      },
    });
  }
  sections.push(syncSection('Sync success rate per entity', series, m.thisMonth.sync, m.previousMonth.sync));
  sections.push(apiSection('API usage against plan limits', series, m.thisMonth.api, m.previousMonth.api));
  if (m.reconciliation) {
    sections.push({
      title: 'Records to reconcile with ZOHO',
      table: {
        columns: ['entity', 'synced', 'pending', 'failed', 'abandoned'],
        rows: keyed(Object.fromEntries(Object.keys(m.reconciliation).map((k) => [k, 0]))).map(([e]) => {
          const s = m.reconciliation![e]!;
          return [e, s.synced ?? 0, s.pending ?? 0, s.failed ?? 0, s.abandoned ?? 0];
        }),
      },
    });
  }
  if (m.retention) {
    sections.push({
      title: 'Retention clean-up',
      table: {
        columns: ['policy', 'table', 'older than', 'deleted', 'batches'],
        rows: m.retention.map((r) => [r.policy, r.table, r.cutoff, r.deleted, r.batches]),
      },
    });
  }
  if (m.credentials) {
    sections.push({
      title: 'Credential age review',
      text: `${m.credentials.overdue.length} active installation(s) with credentials older than 90 days.`,
      table: { columns: ['age', 'installations'], rows: keyed(m.credentials.buckets) },
    });
  }
  return sections;
}

function dailySections(f: Record<string, unknown>): ReportSection[] {
  const failed = (f.failedSyncs ?? {}) as Record<string, { records: number; attempts: number }>;
  const webhooks = (f.webhooks ?? {}) as Record<string, number>;
  return [
    {
      title: 'Failed syncs of the last 24 hours',
      table: {
        columns: ['entity', 'failed records', 'failed attempts'],
        rows: Object.entries(failed).map(([e, v]) => [e, v.records, v.attempts]),
      },
    },
    { title: 'Webhook deliveries retried', table: { columns: ['outcome', 'deliveries'], rows: keyed(webhooks) } },
  ];
}

const SECTIONS: Record<ReportKind, (f: Record<string, unknown>) => ReportSection[]> = {
  daily: dailySections,
  weekly: weeklySections,
  monthly: monthlySections,
};

/**
 * Turns a runbook's figures into a report: the raw figures plus readable sections (tables and
 * period-over-period charts). Pure, so rendering can be tested without a database.
 *
 * @example
 * const report = buildReport({ id, kind: 'weekly', runId, health: 'HEALTHY', periodStart, periodEnd, steps, figures });
 */
export function buildReport(input: ReportInput, generatedAt = new Date()): Report {
  return {
    ...input,
    title: `${TITLES[input.kind]} — ${input.periodEnd.slice(0, 10)}`,
    generatedAt: generatedAt.toISOString(),
    sections: SECTIONS[input.kind](input.figures),
  };
}
