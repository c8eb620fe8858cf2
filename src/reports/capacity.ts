import type { Pool } from '../db/pool.js';

/** Rows and on-disk size (with indexes and TOAST) of each of Opsflow's tables, and of the whole database. */
export interface CapacitySnapshot {
  databaseBytes: number;
  tables: Array<{ table: string; rows: number; bytes: number }>;
}

/** How the database grows: against an earlier snapshot, and how long until the configured size threshold. */
export interface CapacityGrowth {
  /** The snapshot compared with (the previous weekly report's), or null when there is none. */
  since: string | null;
  bytesPerDay: number | null;
  /** Days until the database reaches `thresholdBytes` at `bytesPerDay`; null when it is not growing. */
  daysToThreshold: number | null;
  thresholdBytes: number;
  tables: Array<{ table: string; rowsChange: number | null; bytesChange: number | null }>;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Exact row counts (a count per table, not the planner's estimate) and sizes of the tables in the current
 * schema. Cheap enough weekly: the largest tables are kept small by the monthly retention.
 *
 * @example
 * const capacity = await capacitySnapshot(pool);
 */
export async function capacitySnapshot(pool: Pool): Promise<CapacitySnapshot> {
  const { rows: tables } = await pool.query<{ table: string; bytes: number }>(
    `SELECT c.relname AS table, pg_total_relation_size(c.oid) AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() ORDER BY 1`,
  );
  const counts: Record<string, number> = tables.length
    ? (
        await pool.query<Record<string, number>>(
          `SELECT ${tables.map((t, i) => `(SELECT count(*) FROM ${quoteIdent(t.table)})::bigint AS c${i}`).join(', ')}`,
        )
      ).rows[0]!
    : {};
  const db = await pool.query<{ bytes: number }>('SELECT pg_database_size(current_database()) AS bytes');
  return {
    databaseBytes: db.rows[0]!.bytes,
    tables: tables.map((t, i) => ({ table: t.table, rows: Number(counts[`c${i}`]), bytes: t.bytes })),
  };
}

/**
 * Growth between two snapshots taken `days` apart, and the days left until `thresholdBytes` at that rate.
 *
 * @example
 * const growth = capacityGrowth(now, previous, '2026-11-23T00:00:00Z', 7, 50 * 2 ** 30);
 */
export function capacityGrowth(
  now: CapacitySnapshot,
  before: CapacitySnapshot | undefined,
  since: string | null,
  days: number,
  thresholdBytes: number,
): CapacityGrowth {
  const prev = (table: string) => before?.tables.find((t) => t.table === table);
  const bytesPerDay = before && days > 0 ? Math.round((now.databaseBytes - before.databaseBytes) / days) : null;
  const left = thresholdBytes - now.databaseBytes;
  return {
    since: before ? since : null,
    bytesPerDay,
    daysToThreshold:
      left <= 0 ? 0 : bytesPerDay !== null && bytesPerDay > 0 ? Math.round((left / bytesPerDay) * 10) / 10 : null,
    thresholdBytes,
    tables: now.tables.map((t) => {
      const p = prev(t.table);
      return { table: t.table, rowsChange: p ? t.rows - p.rows : null, bytesChange: p ? t.bytes - p.bytes : null };
    }),
  };
}
