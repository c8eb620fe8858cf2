import type { MonthlyFigures } from './figures.js';
import { retryLinks, type FailedRecord } from './failed-syncs.js';
import { apiSection, keyed, syncSection } from './section-helpers.js';
import type { Report, ReportKind, ReportSection, RunStep, Verdict } from './types.js';
import { weeklySections } from './weekly-sections.js';

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

function dailySections(f: Record<string, unknown>, input: ReportInput, baseUrl: string): ReportSection[] {
  const failed = (f.failedSyncs ?? {}) as Record<string, { records: number; attempts: number }>;
  const webhooks = (f.webhooks ?? {}) as Record<string, number>;
  const records = f.failedRecords as FailedRecord[] | undefined;
  const sections: ReportSection[] = [
    {
      title: 'Failed syncs of the last 24 hours',
      table: {
        name: 'failed-syncs',
        columns: ['entity', 'failed records', 'failed attempts'],
        rows: Object.entries(failed).map(([e, v]) => [e, v.records, v.attempts]),
      },
    },
  ];
  if (records) {
    sections.push({
      title: 'Failed records to act on',
      text:
        records.length === 0
          ? 'None.'
          : `The ${records.length} most recent failures. Each link below retries exactly the listed records of ` +
            'its entity (a backfill in failed mode): POST it with the operator token.',
      links: retryLinks(input.id, records, baseUrl),
      table: {
        name: 'failed-records',
        columns: [
          'entity',
          'id',
          'reference',
          'error class',
          'last message',
          'attempts',
          'first failure',
          'last failure',
        ],
        rows: records.map((r) => [
          r.entity,
          r.id,
          r.reference,
          r.errorClass,
          r.lastMessage,
          r.attempts,
          r.firstFailureAt,
          r.lastFailureAt,
        ]),
      },
    });
  }
  sections.push({
    title: 'Webhook deliveries retried',
    table: { name: 'webhook-retries', columns: ['outcome', 'deliveries'], rows: keyed(webhooks) },
  });
  return sections;
}

const SECTIONS: Record<
  ReportKind,
  (f: Record<string, unknown>, input: ReportInput, baseUrl: string) => ReportSection[]
> = {
  daily: dailySections,
  weekly: (f, input) => weeklySections(f, input.health),
  monthly: (f) => monthlySections(f),
};

/**
 * Turns a runbook's figures into a report: the raw figures plus readable sections (tables and
 * period-over-period charts). Pure, so rendering can be tested without a database. Links (retries, runs) are
 * made under `baseUrl`, the API's public URL.
 *
 * @example
 * const report = buildReport({ id, kind: 'weekly', runId, health: 'HEALTHY', periodStart, periodEnd, steps, figures });
 */
export function buildReport(input: ReportInput, generatedAt = new Date(), baseUrl = ''): Report {
  return {
    ...input,
    title: `${TITLES[input.kind]} — ${input.periodEnd.slice(0, 10)}`,
    generatedAt: generatedAt.toISOString(),
    sections: SECTIONS[input.kind](input.figures, input, baseUrl),
  };
}
