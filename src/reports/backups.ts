import type { Pool } from '../db/pool.js';

/** Backup runs over a period (`backups`). */
export interface BackupActivity {
  /** Backups started in the period, by status (running, verified, unverified, failed). */
  byStatus: Record<string, number>;
  /** Restore tests passed: backups that reached `verified` with `verified_at` in the period. */
  restoreTestsPassed: number;
}

/** The newest verified backup whose file is still kept, at a moment. */
export interface LastVerifiedBackup {
  id: string;
  sizeBytes: number | null;
  takenAt: string;
  ageHours: number;
}

/** Whether any backup was ever recorded: without one, the report says so instead of showing zeros as figures. */
export async function backupsConfigured(pool: Pool): Promise<boolean> {
  const { rows } = await pool.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM backups) AS any');
  return rows[0]!.any;
}

/**
 * Backups started in `[from, to)` by status, and restore tests passed in it.
 *
 * @example
 * const backups = await backupActivity(pool, weekStart, weekEnd);
 */
export async function backupActivity(pool: Pool, from: Date, to: Date): Promise<BackupActivity> {
  const [byStatus, passed] = await Promise.all([
    pool.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM backups WHERE started_at >= $1 AND started_at < $2 GROUP BY 1`,
      [from, to],
    ),
    pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM backups WHERE status = 'verified' AND verified_at >= $1 AND verified_at < $2`,
      [from, to],
    ),
  ]);
  return {
    byStatus: Object.fromEntries(byStatus.rows.map((r) => [r.status, r.n])),
    restoreTestsPassed: passed.rows[0]!.n,
  };
}

/**
 * The newest verified backup at `asOf` whose file retention has not removed, with its age from when its dump was
 * taken.
 *
 * @example
 * const last = await lastVerifiedBackup(pool, new Date());
 */
export async function lastVerifiedBackup(pool: Pool, asOf: Date): Promise<LastVerifiedBackup | null> {
  const { rows } = await pool.query<{ id: string; size_bytes: number | null; taken_at: Date }>(
    `SELECT id, size_bytes, coalesce(dumped_at, started_at) AS taken_at FROM backups
      WHERE status = 'verified' AND deleted_at IS NULL AND verified_at <= $1
      ORDER BY coalesce(dumped_at, started_at) DESC, id DESC LIMIT 1`,
    [asOf],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id,
    sizeBytes: r.size_bytes,
    takenAt: r.taken_at.toISOString(),
    ageHours: Math.round(((asOf.getTime() - r.taken_at.getTime()) / 3_600_000) * 10) / 10,
  };
}
