import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { randomBytes } from 'node:crypto';
import { idTimestamp, startRun } from '../../temporal/start.js';
import type { backupDatabase, BackupInput, restoreTest } from '../../workflows/backups/backup.js';
import type { AuthEnv } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { COMMON_ERRORS, CONFLICT, IdempotencyHeaders, jsonResponse, NOT_FOUND } from '../schemas.js';

const Counts = z.record(z.string(), z.number().int());
const Backup = z
  .object({
    id: z.string(),
    trigger: z.enum(['schedule', 'manual']),
    status: z.enum(['running', 'verified', 'unverified', 'failed']),
    startedAt: z.string(),
    dumpedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    verifiedAt: z.string().nullable(),
    file: z.string().nullable().openapi({ description: 'Path of the pg_dump custom-format file on the worker' }),
    sizeBytes: z.number().int().nullable(),
    sha256: z.string().nullable(),
    pgDumpVersion: z.string().nullable(),
    serverVersion: z.string().nullable(),
    sourceCounts: Counts.nullable().openapi({ description: 'Row count of every table at dump time' }),
    restoredCounts: Counts.nullable().openapi({ description: 'Row count of every table after the restore test' }),
    error: z.string().nullable(),
    incidentId: z.string().nullable(),
    deletedAt: z.string().nullable().openapi({ description: 'When retention removed the file' }),
  })
  .openapi('Backup');
const Started = z
  .object({ id: z.string(), workflowId: z.string(), status: z.literal('running') })
  .openapi('BackupStarted');
const ListQuery = z.object({
  status: z.enum(['running', 'verified', 'unverified', 'failed']).optional(),
  limit: z.coerce.number({ error: 'expected a whole number' }).int().min(1).max(500).default(50),
});
const Id = z.object({ id: z.string().min(1).max(300) });

interface Row {
  id: string;
  trigger: 'schedule' | 'manual';
  status: 'running' | 'verified' | 'unverified' | 'failed';
  started_at: Date;
  dumped_at: Date | null;
  finished_at: Date | null;
  verified_at: Date | null;
  file_path: string | null;
  size_bytes: number | null;
  sha256: string | null;
  pg_dump_version: string | null;
  server_version: string | null;
  source_counts: Record<string, number> | null;
  restored_counts: Record<string, number> | null;
  error: string | null;
  incident_id: string | null;
  deleted_at: Date | null;
}
const iso = (d: Date | null) => (d ? d.toISOString() : null);
const toBackup = (r: Row): z.infer<typeof Backup> => ({
  id: r.id,
  trigger: r.trigger,
  status: r.status,
  startedAt: r.started_at.toISOString(),
  dumpedAt: iso(r.dumped_at),
  finishedAt: iso(r.finished_at),
  verifiedAt: iso(r.verified_at),
  file: r.file_path,
  sizeBytes: r.size_bytes,
  sha256: r.sha256,
  pgDumpVersion: r.pg_dump_version,
  serverVersion: r.server_version,
  sourceCounts: r.source_counts,
  restoredCounts: r.restored_counts,
  error: r.error,
  incidentId: r.incident_id,
  deletedAt: iso(r.deleted_at),
});

/**
 * Backups: run one now, list them, read one, and run a restore test of an existing one. Runs are workflows
 * (`backupDatabase`, `restoreTest`) on the main queue; the list and each backup are read from the `backups`
 * table, so they answer without a worker.
 *
 * @example
 * app.route('/', backupRoutes(deps));
 */
export function backupRoutes({ client, config, pool }: Pick<ApiDeps, 'client' | 'config' | 'pool'>) {
  const byId = async (id: string): Promise<Row | undefined> =>
    (await pool.query<Row>(`SELECT * FROM backups WHERE id = $1`, [id])).rows[0];
  const queue = config.taskQueues.main;
  const prefix = config.idPrefix;

  return new OpenAPIHono<AuthEnv>()
    .openapi(
      createRoute({
        method: 'post',
        path: '/backups',
        summary: 'Back up the Opsflow database now (pg_dump, restore test, retention)',
        tags: ['backups'],
        request: { headers: IdempotencyHeaders },
        responses: { 202: jsonResponse(Started, 'Started: follow it with GET /backups/{id}'), ...COMMON_ERRORS },
      }),
      async (c) => {
        const key = c.req.valid('header')['idempotency-key'];
        const workflowId = key
          ? `${prefix}backup-manual-${key}`
          : `${prefix}backup-manual-${idTimestamp(new Date())}-${randomBytes(3).toString('hex')}`;
        await startRun<typeof backupDatabase>(client, {
          workflow: 'backupDatabase',
          workflowId,
          taskQueue: queue,
          kind: 'backup',
          summary: 'Backup: pg_dump of the Opsflow database, restore test, retention (manual)',
          args: [{ trigger: 'manual' } satisfies BackupInput],
          reuseExisting: Boolean(key),
        });
        c.header('location', `/backups/${encodeURIComponent(workflowId)}`);
        return c.json({ id: workflowId, workflowId, status: 'running' as const }, 202);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/backups',
        summary: 'List backups, newest first',
        tags: ['backups'],
        request: { query: ListQuery },
        responses: { 200: jsonResponse(z.object({ backups: z.array(Backup) }), 'Backups'), ...COMMON_ERRORS },
      }),
      async (c) => {
        const { status, limit } = c.req.valid('query');
        const { rows } = await pool.query<Row>(
          `SELECT * FROM backups WHERE ($1::text IS NULL OR status = $1) ORDER BY started_at DESC LIMIT $2`,
          [status ?? null, limit],
        );
        return c.json({ backups: rows.map(toBackup) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/backups/{id}',
        summary: 'Read a backup: file, size, sha256, row counts and verification',
        tags: ['backups'],
        request: { params: Id },
        responses: { 200: jsonResponse(Backup, 'The backup'), ...COMMON_ERRORS, ...NOT_FOUND },
      }),
      async (c) => {
        const row = await byId(c.req.valid('param').id);
        if (!row) throw new ApiError(404, 'not_found', 'No such backup');
        return c.json(toBackup(row), 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/backups/{id}/verify',
        summary: 'Run a restore test of a backup again (its file must still exist)',
        tags: ['backups'],
        request: { params: Id, headers: IdempotencyHeaders },
        responses: {
          202: jsonResponse(Started, 'Started: GET /backups/{id} shows the outcome'),
          ...COMMON_ERRORS,
          ...NOT_FOUND,
          ...CONFLICT,
        },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const row = await byId(id);
        if (!row) throw new ApiError(404, 'not_found', 'No such backup');
        if (row.status === 'running' || !row.file_path) {
          throw new ApiError(409, 'conflict', 'The backup has no finished dump to test yet');
        }
        if (row.deleted_at) throw new ApiError(409, 'conflict', 'Retention removed this backup file');
        const key = c.req.valid('header')['idempotency-key'];
        const workflowId = `${prefix}restore-test-${key ?? `${idTimestamp(new Date())}-${randomBytes(3).toString('hex')}`}`;
        await startRun<typeof restoreTest>(client, {
          workflow: 'restoreTest',
          workflowId,
          taskQueue: queue,
          kind: 'backup',
          summary: `Restore test of backup ${id}`,
          args: [{ id }],
          reuseExisting: Boolean(key),
        });
        return c.json({ id, workflowId, status: 'running' as const }, 202);
      },
    );
}
