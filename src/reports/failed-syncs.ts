import { ENTITIES } from './metrics.js';
import type { Pool } from '../db/pool.js';
import type { ReportLink } from './types.js';

/** A billing record whose ZOHO sync failed, as the daily report lists it. */
export interface FailedRecord {
  entity: string;
  id: number;
  reference: string;
  errorClass: string;
  lastMessage: string;
  attempts: number;
  /** The first and last failed attempts logged for it (`zoho_sync_logs`); the last falls back to its update. */
  firstFailureAt: string;
  lastFailureAt: string;
}

/**
 * The `limit` records in `failed` sync state whose last failure falls in the 24 hours before `asOf` (the window
 * the daily counts cover), most recent failure first.
 *
 * @example
 * const records = await listFailedRecords(pool, '2026-11-23T09:00:00Z', 20);
 */
export async function listFailedRecords(pool: Pool, asOf: string, limit: number): Promise<FailedRecord[]> {
  const union = ENTITIES.map(
    (e) =>
      `SELECT '${e}'::text AS entity, id, reference, last_error_class, last_error, sync_attempts, updated_at FROM ${e}
        WHERE sync_state = 'failed' AND updated_at >= $1::timestamptz - interval '24 hours' AND updated_at < $1::timestamptz`,
  ).join(' UNION ALL ');
  const { rows } = await pool.query<{
    entity: string;
    id: number;
    reference: string;
    last_error_class: string | null;
    last_error: string | null;
    sync_attempts: number;
    updated_at: Date;
    first_failure: Date | null;
    last_failure: Date | null;
  }>(
    `SELECT r.*, l.first_failure, l.last_failure FROM (${union}) r
       LEFT JOIN LATERAL (
         SELECT min(created_at) AS first_failure, max(created_at) AS last_failure FROM zoho_sync_logs
          WHERE entity = r.entity AND record_id = r.id AND outcome = 'failed') l ON true
      ORDER BY r.updated_at DESC, r.entity, r.id LIMIT $2`,
    [asOf, limit],
  );
  return rows.map((r) => ({
    entity: r.entity,
    id: r.id,
    reference: r.reference,
    errorClass: r.last_error_class ?? 'unknown',
    lastMessage: r.last_error ?? '',
    attempts: r.sync_attempts,
    firstFailureAt: (r.first_failure ?? r.updated_at).toISOString(),
    lastFailureAt: (r.last_failure ?? r.updated_at).toISOString(),
  }));
}

/** The record ids a report lists per entity. */
export function recordIdsByEntity(records: FailedRecord[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const r of records) (out[r.entity] ??= []).push(r.id);
  return out;
}

/** Where a report's retry of one entity's listed records is started (`POST` with the operator token). */
export function retryPath(reportId: string, entity: string): string {
  return `/reports/${encodeURIComponent(reportId)}/retry-failed/${encodeURIComponent(entity)}`;
}

/** One retry link per entity with listed records, under `baseUrl`. */
export function retryLinks(reportId: string, records: FailedRecord[], baseUrl: string): ReportLink[] {
  const base = baseUrl.replace(/\/$/, '');
  return Object.entries(recordIdsByEntity(records)).map(([entity, ids]) => ({
    text: `Retry the ${ids.length} listed ${entity} (backfill in failed mode)`,
    href: `${base}${retryPath(reportId, entity)}`,
    method: 'POST' as const,
  }));
}
