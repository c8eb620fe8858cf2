import type { ApiUsageStats, SyncStats } from './metrics.js';
import type { ReportSection } from './types.js';

/** Building blocks of report sections shared by the weekly, monthly and daily reports. */

export const rate = (v: number | null) => (v === null ? '—' : `${v} %`);
export const keyed = (o: Record<string, number>) => Object.entries(o).sort(([a], [b]) => a.localeCompare(b));

/** Rows of a "this period vs previous" table, with a signed change column. */
export function compare(labels: string[], now: (l: string) => number, before: (l: string) => number) {
  return labels.map((l) => {
    const a = now(l);
    const b = before(l);
    return [l, b, a, a - b >= 0 ? `+${a - b}` : String(a - b)];
  });
}

export function union(...objects: Array<Record<string, number>>): string[] {
  return [...new Set(objects.flatMap((o) => Object.keys(o)))].sort();
}

export function syncSection(
  title: string,
  series: [string, string],
  now: SyncStats[],
  before: SyncStats[],
): ReportSection {
  return {
    title,
    text: 'Share of ZOHO sync attempts that succeeded, per entity, against the 98 % target.',
    chart: {
      series,
      unit: '%',
      valueAxis: 'sync success rate',
      labelAxis: 'entity',
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

export function apiSection(title: string, series: [string, string], now: ApiUsageStats[], before: ApiUsageStats[]) {
  const prev = (i: string) => before.find((b) => b.integration === i);
  return {
    title,
    chart: {
      series,
      unit: 'calls',
      valueAxis: 'vendor API calls',
      labelAxis: 'integration',
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

/** A figure or a dash when there is none (no data is never shown as a zero). */
export const orDash = (v: number | string | null | undefined): string | number =>
  v === null || v === undefined ? '—' : v;

/** Bytes as MiB with one decimal, the unit of the capacity tables. */
export const mib = (bytes: number | null | undefined): string | number =>
  bytes === null || bytes === undefined ? '—' : Math.round((bytes / 1024 ** 2) * 10) / 10;

/** A signed change between two figures, or a dash when either is missing. */
export function change(now: number | null | undefined, before: number | null | undefined): string {
  if (now === null || now === undefined || before === null || before === undefined) return '—';
  const d = Math.round((now - before) * 100) / 100;
  return d >= 0 ? `+${d}` : String(d);
}

/** A row of a "previous week / this week / change" table. */
export const beside = (label: string, before: number | null | undefined, now: number | null | undefined) => [
  label,
  orDash(before),
  orDash(now),
  change(now, before),
];
