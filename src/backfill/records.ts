import type { Pool } from '../db/pool.js';
import type { BackfillMode, ZohoEntity } from './entities.js';

/**
 * The local side of a ZOHO push: which records a backfill selects, page by page, and how their sync state is
 * written. Table and column names come from the fixed lists below, never from input.
 */

/** A local record as the push needs it: its own columns plus the ZOHO ids of the records it references. */
export interface LocalRecord {
  id: number;
  reference: string;
  zoho_id: string | null;
  customer_zoho_id?: string | null;
  subscription_id?: number | null;
  subscription_zoho_id?: string | null;
  invoice_id?: number | null;
  invoice_zoho_id?: string | null;
  [column: string]: unknown;
}

/** What a backfill selects: a mode and time range, or exactly the given record ids (a repair). */
export interface RecordFilter {
  mode: BackfillMode;
  /** ISO times; records created in [since, until). */
  since?: string;
  until?: string;
  /** ISO times; records whose last failure (their last update in `failed` state) falls in [failedSince, failedUntil). */
  failedSince?: string;
  failedUntil?: string;
  /** Exactly these records, whatever their state. */
  recordIds?: number[];
  /** Exactly the local records a stored reconciliation report lists as missing remotely or different (a repair). */
  repairOf?: string;
}

const SELECT: Record<ZohoEntity, string> = {
  customers: `SELECT t.* FROM customers t`,
  subscriptions: `SELECT t.*, c.zoho_id AS customer_zoho_id FROM subscriptions t JOIN customers c ON c.id = t.customer_id`,
  invoices: `SELECT t.*, c.zoho_id AS customer_zoho_id, s.zoho_id AS subscription_zoho_id
    FROM invoices t JOIN customers c ON c.id = t.customer_id LEFT JOIN subscriptions s ON s.id = t.subscription_id`,
  payments: `SELECT t.*, c.zoho_id AS customer_zoho_id, i.zoho_id AS invoice_zoho_id
    FROM payments t JOIN customers c ON c.id = t.customer_id LEFT JOIN invoices i ON i.id = t.invoice_id`,
};

const MODE_CONDITION: Record<BackfillMode, string> = {
  unsynced: `t.sync_state = 'pending'`,
  failed: `t.sync_state = 'failed'`,
  all: 'true',
};

/** The WHERE clause and its parameters, numbered from `$<first>`. */
function where(entity: ZohoEntity, filter: RecordFilter, first: number): { sql: string; params: unknown[] } {
  if (filter.repairOf) {
    return {
      sql: `t.id IN (SELECT record_id FROM reconciliation_mismatches
                      WHERE reconciliation_id = $${first} AND entity = '${entity}' AND record_id IS NOT NULL)`,
      params: [filter.repairOf],
    };
  }
  if (filter.recordIds) return { sql: `t.id = ANY($${first}::bigint[])`, params: [filter.recordIds] };
  const parts = [MODE_CONDITION[filter.mode]];
  const params: unknown[] = [];
  if (filter.since) parts.push(`t.created_at >= $${first + params.push(filter.since) - 1}`);
  if (filter.until) parts.push(`t.created_at < $${first + params.push(filter.until) - 1}`);
  if (filter.failedSince) parts.push(`t.updated_at >= $${first + params.push(filter.failedSince) - 1}`);
  if (filter.failedUntil) parts.push(`t.updated_at < $${first + params.push(filter.failedUntil) - 1}`);
  return { sql: parts.join(' AND '), params };
}

/** The next page of records to push, after record id `afterId`, in id order. */
export async function selectPage(
  pool: Pool,
  entity: ZohoEntity,
  filter: RecordFilter,
  afterId: number,
  limit: number,
): Promise<LocalRecord[]> {
  const w = where(entity, filter, 3);
  const { rows } = await pool.query<LocalRecord>(
    `${SELECT[entity]} WHERE t.id > $1 AND ${w.sql} ORDER BY t.id LIMIT $2`,
    [afterId, limit, ...w.params],
  );
  return rows;
}

/** How many records the filter selects, and how many of them already have a ZOHO id. */
export async function countRecords(
  pool: Pool,
  entity: ZohoEntity,
  filter: RecordFilter,
): Promise<{ total: number; linked: number }> {
  const w = where(entity, filter, 1);
  const { rows } = await pool.query<{ total: number; linked: number }>(
    `SELECT count(*)::int AS total, count(t.zoho_id)::int AS linked FROM ${entity} t WHERE ${w.sql}`,
    w.params,
  );
  return rows[0] ?? { total: 0, linked: 0 };
}

/** Marks record `$1` synced under ZOHO id `$2`, error cleared. */
const MARK_SYNCED = (entity: ZohoEntity) =>
  `UPDATE ${entity} SET zoho_id = $2, sync_state = 'synced', sync_attempts = sync_attempts + 1,
     last_error_class = NULL, last_error = NULL, synced_at = now(), updated_at = now() WHERE id = $1`;

/** The record is in ZOHO under `zohoId`: synced, error cleared. */
export async function markSynced(pool: Pool, entity: ZohoEntity, id: number, zohoId: string): Promise<void> {
  await pool.query(MARK_SYNCED(entity), [id, zohoId]);
}

/**
 * Marks the record synced and logs the successful attempt in one statement: the two never disagree, and a pushed
 * record costs one database round trip (a 10,000-record backfill makes 10,000 of them).
 */
export async function markSyncedAndLog(
  pool: Pool,
  attempt: {
    entity: ZohoEntity;
    recordId: number;
    runId: string;
    outcome: 'created' | 'updated' | 'linked';
    durationMs: number;
  },
  zohoId: string,
): Promise<void> {
  await pool.query(
    `WITH synced AS (${MARK_SYNCED(attempt.entity)} RETURNING id)
     INSERT INTO zoho_sync_logs (entity, record_id, run_id, outcome, duration_ms)
     SELECT $3, id, $4, $5, $6 FROM synced`,
    [attempt.recordId, zohoId, attempt.entity, attempt.runId, attempt.outcome, Math.round(attempt.durationMs)],
  );
}

/** A failure a retry cannot fix: recorded on the record so it is not retried until someone acts. */
export async function markFailed(
  pool: Pool,
  entity: ZohoEntity,
  id: number,
  errorClass: string,
  message: string,
): Promise<void> {
  await pool.query(
    `UPDATE ${entity} SET sync_state = 'failed', sync_attempts = sync_attempts + 1, last_error_class = $2,
       last_error = $3, updated_at = now() WHERE id = $1`,
    [id, errorClass, message.slice(0, 1000)],
  );
}

/** One row in `zoho_sync_logs` per attempt. */
export async function logAttempt(
  pool: Pool,
  attempt: {
    entity: ZohoEntity;
    recordId: number;
    runId: string;
    outcome: 'created' | 'updated' | 'linked' | 'skipped' | 'failed';
    errorClass?: string;
    message?: string;
    durationMs: number;
  },
): Promise<void> {
  await pool.query(
    `INSERT INTO zoho_sync_logs (entity, record_id, run_id, outcome, error_class, message, duration_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      attempt.entity,
      attempt.recordId,
      attempt.runId,
      attempt.outcome,
      attempt.errorClass ?? null,
      attempt.message?.slice(0, 1000) ?? null,
      Math.round(attempt.durationMs),
    ],
  );
}

/** The ZOHO id a record depends on but that is not there yet, named for the error message. */
export function missingDependency(entity: ZohoEntity, record: LocalRecord): string | undefined {
  if (entity === 'customers') return undefined;
  if (!record.customer_zoho_id) return 'its customer is not in ZOHO yet';
  if (entity === 'invoices' && record.subscription_id && !record.subscription_zoho_id) {
    return 'its subscription is not in ZOHO yet';
  }
  if (entity === 'payments' && record.invoice_id && !record.invoice_zoho_id) return 'its invoice is not in ZOHO yet';
  return undefined;
}
