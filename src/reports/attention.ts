import type { Pool } from '../db/pool.js';

/** Something an operator should look at, with where to look. */
export interface AttentionItem {
  kind: 'incident' | 'run' | 'backup';
  text: string;
  link: string;
}

/** The most items the attention list shows. */
export const ATTENTION_LISTED = 20;

const SEVERITY_ORDER = `CASE severity WHEN 'P1' THEN 1 WHEN 'P2' THEN 2 WHEN 'P3' THEN 3 ELSE 4 END`;

/**
 * What needs attention at the end of a week: incidents still open (most severe first), runbook runs of the week
 * that were not HEALTHY, and backups of the week that failed. Each item links to its incident or to its run's
 * report under `baseUrl`.
 *
 * @example
 * const items = await attentionItems(pool, weekStart, weekEnd, new Date(), 'https://ops.example.com');
 */
export async function attentionItems(
  pool: Pool,
  from: Date,
  to: Date,
  asOf: Date,
  baseUrl: string,
): Promise<AttentionItem[]> {
  const base = baseUrl.replace(/\/$/, '');
  const [incidents, runs, backups] = await Promise.all([
    pool.query<{ id: string; title: string; severity: string; status: string; hours: number }>(
      `SELECT id, title, severity, status, extract(epoch FROM $1::timestamptz - opened_at)::float8 / 3600 AS hours
         FROM incidents WHERE status <> 'resolved' AND opened_at <= $1
        ORDER BY ${SEVERITY_ORDER}, opened_at LIMIT ${ATTENTION_LISTED}`,
      [asOf],
    ),
    pool.query<{ id: string; kind: string; health: string; period_end: Date }>(
      `SELECT id, kind, health, period_end FROM runbook_reports
        WHERE health IN ('UNHEALTHY', 'DEGRADED') AND created_at >= $1 AND created_at < $2
        ORDER BY CASE health WHEN 'UNHEALTHY' THEN 1 ELSE 2 END, created_at DESC LIMIT ${ATTENTION_LISTED}`,
      [from, to],
    ),
    pool.query<{ id: string; error: string | null; incident_id: string | null }>(
      `SELECT id, error, incident_id FROM backups WHERE status IN ('failed', 'unverified')
          AND started_at >= $1 AND started_at < $2 ORDER BY started_at DESC LIMIT ${ATTENTION_LISTED}`,
      [from, to],
    ),
  ]);
  const items: AttentionItem[] = [
    ...incidents.rows.map((i) => ({
      kind: 'incident' as const,
      text: `${i.severity} ${i.status} for ${Math.round(i.hours)} h: ${i.title}`,
      link: `${base}/incidents/${encodeURIComponent(i.id)}`,
    })),
    ...runs.rows.map((r) => ({
      kind: 'run' as const,
      text: `${r.kind} run ${r.health} (${r.period_end.toISOString().slice(0, 10)})`,
      link: `${base}/reports/${encodeURIComponent(r.id)}`,
    })),
    ...backups.rows.map((b) => ({
      kind: 'backup' as const,
      text: `backup ${b.id} not verified${b.error ? `: ${b.error}` : ''}`,
      link: b.incident_id
        ? `${base}/incidents/${encodeURIComponent(b.incident_id)}`
        : `${base}/backups/${encodeURIComponent(b.id)}`,
    })),
  ];
  return items.slice(0, ATTENTION_LISTED);
}
