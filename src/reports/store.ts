import type { Pool } from '../db/pool.js';
import type { Report, ReportKind } from './types.js';

/**
 * Stores a report once per run: a retried activity finds the first one and returns its id.
 *
 * @example
 * const id = await saveReport(pool, report);
 */
export async function saveReport(pool: Pool, report: Report): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO runbook_reports (id, kind, run_id, health, period_start, period_end, data)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT DO NOTHING RETURNING id`,
    [report.id, report.kind, report.runId, report.health, report.periodStart, report.periodEnd, report],
  );
  if (rows[0]) return rows[0].id;
  // A retried activity of the same run stored it already; a report of another run is never answered in its place.
  const existing = await pool.query<{ id: string }>('SELECT id FROM runbook_reports WHERE run_id = $1', [report.runId]);
  if (!existing.rows[0]) throw new Error(`report id ${report.id} is taken by another run`);
  return existing.rows[0].id;
}

/** One stored report, or undefined. */
export async function loadReport(pool: Pool, id: string): Promise<Report | undefined> {
  const { rows } = await pool.query<{ data: Report }>('SELECT data FROM runbook_reports WHERE id = $1', [id]);
  return rows[0]?.data;
}

/** A summary line of a stored report, for listings. */
export interface ReportListing {
  id: string;
  kind: string;
  health: string | null;
  runId: string | null;
  periodStart: string | null;
  periodEnd: string | null;
  createdAt: string;
}

/** The newest reports, optionally of one kind. */
export async function listReports(pool: Pool, kind: ReportKind | undefined, limit: number): Promise<ReportListing[]> {
  const { rows } = await pool.query<ReportListing>(
    `SELECT id, kind, health, run_id AS "runId", period_start AS "periodStart", period_end AS "periodEnd",
            created_at AS "createdAt"
       FROM runbook_reports WHERE $1::text IS NULL OR kind = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
    [kind ?? null, limit],
  );
  return rows.map((r) => ({
    ...r,
    periodStart: r.periodStart && new Date(r.periodStart).toISOString(),
    periodEnd: r.periodEnd && new Date(r.periodEnd).toISOString(),
    createdAt: new Date(r.createdAt).toISOString(),
  }));
}
