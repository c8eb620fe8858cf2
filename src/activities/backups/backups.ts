import { Context, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { rmSync } from 'node:fs';
import { basename } from 'node:path';
import { dumpDatabase, verifyBackup, type BackupDeps, type TableCounts } from '../../backups/backup.js';
import { PgToolsError } from '../../backups/pg-tools.js';
import { BACKUP_INCIDENT_KEY, retainedBackups } from '../../backups/policy.js';
import type { ActivityDeps } from '../deps.js';
import { resolveAutomatically } from '../incidents/incidents.js';

/** What a backup run reports to its workflow: ids and figures, never a connection string. */
export interface DumpSummary {
  /** The file's name under OPSFLOW_BACKUP_DIR (its path stays out of histories; GET /backups/:id shows it). */
  fileName: string;
  sizeBytes: number;
  sha256: string;
  tables: number;
  rows: number;
}

export interface VerifySummary {
  verified: boolean;
  error?: string;
}

/** The daily runbook's backup step, in the shape of a runbook step's result. */
export interface BackupAge {
  status: 'ok' | 'warning';
  summary: string;
  data: { newest?: string; ageHours?: number; sizeBytes?: number; maxAgeHours: number };
}

export interface RetentionSummary {
  kept: string[];
  deleted: string[];
}

/** Heartbeats while `work` runs (pg_dump and pg_restore report nothing as they go), and passes the cancellation. */
async function withHeartbeat<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const beat = setInterval(() => heartbeat(), 10_000);
  try {
    return await work(Context.current().cancellationSignal);
  } finally {
    clearInterval(beat);
  }
}

/** No usable `pg_dump` is a configuration problem: retrying cannot help, the incident says what to install. */
function permanentIfToolsMissing(err: unknown): never {
  if (err instanceof PgToolsError) {
    throw ApplicationFailure.create({ type: 'PgToolsUnavailable', message: err.message, nonRetryable: true });
  }
  throw err;
}

/**
 * Backups of Opsflow's own database: dump, restore test, retention and the daily freshness check. Each writes
 * its outcome to the `backups` row under the backup's id, so a retry repeats the same step on the same row.
 *
 * @example
 * const { dumpBackup } = createBackupActivities({ pool, config, log });
 */
export function createBackupActivities({
  pool,
  client,
  config,
  log,
}: Pick<ActivityDeps, 'pool' | 'client' | 'config' | 'log'>) {
  const deps: BackupDeps = {
    pool,
    log: log.child({ component: 'backups' }),
    backups: config.backups,
    cacheDir: config.cacheDir,
  };
  return {
    /** Records the run; a retry or a second start of the same id changes nothing. */
    async startBackup(input: { id: string; trigger: 'schedule' | 'manual' }): Promise<void> {
      await pool.query(`INSERT INTO backups (id, trigger) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [
        input.id,
        input.trigger,
      ]);
    },

    /** `pg_dump` in custom format with the row count of every table from the same snapshot. */
    async dumpBackup(input: { id: string }): Promise<DumpSummary> {
      const dump = await withHeartbeat((signal) => dumpDatabase(deps, input.id, { signal })).catch(
        permanentIfToolsMissing,
      );
      await pool.query(
        `UPDATE backups SET dumped_at = now(), file_path = $2, size_bytes = $3, sha256 = $4, pg_dump_version = $5,
                server_version = $6, source_counts = $7, error = NULL
          WHERE id = $1`,
        [input.id, dump.file, dump.sizeBytes, dump.sha256, dump.pgDumpVersion, dump.serverVersion, dump.counts],
      );
      const counts = Object.values(dump.counts);
      return {
        fileName: basename(dump.file),
        sizeBytes: dump.sizeBytes,
        sha256: dump.sha256,
        tables: counts.length,
        rows: counts.reduce((a, b) => a + b, 0),
      };
    },

    /** The restore test of a stored backup; marks it `verified` or `unverified` with the reason. */
    async verifyBackup(input: { id: string }): Promise<VerifySummary> {
      const { rows } = await pool.query<{
        file_path: string | null;
        sha256: string | null;
        source_counts: TableCounts | null;
      }>(`SELECT file_path, sha256, source_counts FROM backups WHERE id = $1 AND deleted_at IS NULL`, [input.id]);
      const row = rows[0];
      if (!row) {
        throw ApplicationFailure.create({
          type: 'BackupNotFound',
          message: `no backup ${input.id} with a file to verify`,
          nonRetryable: true,
        });
      }
      const outcome = await withHeartbeat((signal) =>
        verifyBackup(
          deps,
          { id: input.id, file: row.file_path, sha256: row.sha256, counts: row.source_counts },
          { signal },
        ),
      ).catch(permanentIfToolsMissing);
      await pool.query(
        `UPDATE backups SET status = $2, restored_counts = $3, error = $4, finished_at = now(),
                verified_at = CASE WHEN $2 = 'verified' THEN now() ELSE verified_at END
          WHERE id = $1`,
        [input.id, outcome.verified ? 'verified' : 'unverified', outcome.restoredCounts ?? null, outcome.error ?? null],
      );
      return { verified: outcome.verified, error: outcome.error };
    },

    /** A run whose dump failed (`failed`), or whose restore test could not run to the end (`unverified`). */
    async failBackup(input: { id: string; error: string; status: 'failed' | 'unverified' }): Promise<void> {
      await pool.query(`UPDATE backups SET status = $3, error = $2, finished_at = now() WHERE id = $1`, [
        input.id,
        input.error,
        input.status,
      ]);
    },

    async linkBackupIncident(input: { id: string; incidentId: string }): Promise<void> {
      await pool.query(`UPDATE backups SET incident_id = $2 WHERE id = $1`, [input.id, input.incidentId]);
    },

    /** A verified backup ends the backup incident, if one is open: its postmortem names the backup. */
    async resolveBackupIncident(input: { id: string }): Promise<boolean> {
      const { rows } = await pool.query<{ id: string }>(
        `SELECT id FROM incidents WHERE dedup_key = $1 AND status <> 'resolved' ORDER BY opened_at DESC LIMIT 1`,
        [BACKUP_INCIDENT_KEY],
      );
      if (!rows[0]) return false;
      return resolveAutomatically(pool, client, rows[0].id, {
        by: 'backups',
        rootCause: 'Backups failed or did not restore to the same row counts (see the incident timeline).',
        resolution: `Backup ${input.id} was dumped and verified by a restore test.`,
        prevention: 'The nightly backup and its restore test page again if a backup cannot be trusted.',
        customerImpact: 'None while no restore was needed.',
      });
    },

    /**
     * Deletes the files of verified backups outside the retention (7 daily, 4 weekly by default), and the files of
     * failed or unverified backups once they are older than the daily window. Rows stay, with `deleted_at`.
     * Only verified backups count toward what is kept, so a failed night never deletes a verified backup.
     */
    async applyBackupRetention(): Promise<RetentionSummary> {
      const { rows } = await pool.query<{ id: string; status: string; started_at: Date; file_path: string | null }>(
        `SELECT id, status, started_at, file_path FROM backups WHERE deleted_at IS NULL AND status <> 'running'`,
      );
      const verified = rows.filter((r) => r.status === 'verified');
      const keep = retainedBackups(
        verified.map((r) => ({ id: r.id, startedAt: r.started_at })),
        { daily: config.backups.keepDaily, weekly: config.backups.keepWeekly, timeZone: config.timeZone },
      );
      const evidenceUntil = Date.now() - config.backups.keepDaily * 86_400_000;
      const expired = rows.filter((r) =>
        r.status === 'verified' ? !keep.has(r.id) : r.started_at.getTime() < evidenceUntil,
      );
      for (const r of expired) {
        if (r.file_path) {
          rmSync(r.file_path, { force: true });
          rmSync(`${r.file_path}.json`, { force: true });
        }
      }
      const deleted = expired.map((r) => r.id);
      if (deleted.length > 0) {
        await pool.query(`UPDATE backups SET deleted_at = now() WHERE id = ANY($1)`, [deleted]);
        deps.log.info({ deleted }, 'backups removed by retention');
      }
      return { kept: [...keep], deleted };
    },

    /** The daily runbook's check: a warning when the newest verified backup is older than OPSFLOW_BACKUP_MAX_AGE. */
    async backupFreshness(input: { asOf: string }): Promise<BackupAge> {
      const { rows } = await pool.query<{ id: string; size_bytes: number; age_seconds: number }>(
        `SELECT id, size_bytes, extract(epoch FROM $1::timestamptz - verified_at)::float8 AS age_seconds
           FROM backups WHERE status = 'verified' AND deleted_at IS NULL AND verified_at <= $1::timestamptz
          ORDER BY verified_at DESC LIMIT 1`,
        [input.asOf],
      );
      const newest = rows[0];
      const maxHours = config.backups.maxAgeSeconds / 3600;
      if (!newest) return { status: 'warning', summary: 'no verified backup', data: { maxAgeHours: maxHours } };
      const ageHours = Math.round((newest.age_seconds / 3600) * 10) / 10;
      const data = { newest: newest.id, ageHours, sizeBytes: newest.size_bytes, maxAgeHours: maxHours };
      return newest.age_seconds > config.backups.maxAgeSeconds
        ? { status: 'warning', summary: `newest verified backup is ${ageHours} h old (limit ${maxHours} h)`, data }
        : { status: 'ok', summary: `newest verified backup ${ageHours} h old`, data };
    },
  };
}
