import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { countRows, sha256Of, withDatabase, type BackupManifest } from '../../src/backups/backup.js';
import { BACKUP_INCIDENT_KEY } from '../../src/backups/policy.js';
import { createBackupActivities } from '../../src/activities/backups/backups.js';
import { eventually, startTestEnv, testStack, type TestEnv } from '../harness.js';

const ROOT = new URL('../..', import.meta.url).pathname;

interface BackupView {
  id: string;
  status: string;
  file: string | null;
  sizeBytes: number | null;
  sha256: string | null;
  pgDumpVersion: string | null;
  sourceCounts: Record<string, number> | null;
  restoredCounts: Record<string, number> | null;
  error: string | null;
  incidentId: string | null;
  deletedAt: string | null;
}

/** Runs a command of the project as an operator would, answering its exit code and output. */
function runCommand(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('close', (code) => resolve({ code, output }));
  });
}

/** Flips `count` bytes in the middle of a file, as a failing disk or a bad copy would. */
function flipBytes(file: string, count = 16): void {
  const fd = openSync(file, 'r+');
  try {
    const at = Math.floor(statSync(file).size / 2);
    const buf = Buffer.alloc(count);
    readSync(fd, buf, 0, count, at);
    for (let i = 0; i < count; i++) buf[i] = buf[i]! ^ 0xff;
    writeSync(fd, buf, 0, count, at);
  } finally {
    closeSync(fd);
  }
}

describe('backups', () => {
  let env: TestEnv;
  let backupDir: string;
  const databases: string[] = [];

  before(async () => {
    backupDir = mkdtempSync(join(tmpdir(), 'opsflow-backups-'));
    env = await startTestEnv({ api: true, env: { OPSFLOW_BACKUP_DIR: backupDir, OPSFLOW_TIMEZONE: 'UTC' } });
    // Data a restore must bring back: customers and a maintenance window.
    for (let i = 0; i < 25; i++) {
      await env.pool.query(`INSERT INTO customers (reference, display_name, email) VALUES ($1, $2, $3)`, [
        `backup-cust-${i}`,
        `Backup Customer ${i}`,
        `c${i}@example.test`,
      ]);
    }
    await env.pool.query(
      `INSERT INTO maintenance_windows (id, starts_at, ends_at, reason, created_by)
       VALUES ('mw-backup-test', now(), now() + interval '1 day', 'restored from a backup', 'test')`,
    );
  });
  after(async () => {
    await env.stop();
    const admin = new pg.Client({ connectionString: testStack().adminUrl });
    await admin.connect();
    for (const db of databases) await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(db)} WITH (FORCE)`);
    await admin.end();
    rmSync(backupDir, { recursive: true, force: true });
  });

  /** Starts a backup through the API and waits until it has finished (verified or not). */
  async function backupNow(): Promise<BackupView> {
    const started = await env.api!.request<{ id: string }>('POST', '/backups');
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const id = started.body.id;
    await env.client.workflow.getHandle(id).result();
    return (await env.api!.request<BackupView>('GET', `/backups/${encodeURIComponent(id)}`)).body;
  }

  async function restoreTest(id: string): Promise<BackupView> {
    const res = await env.api!.request<{ workflowId: string }>('POST', `/backups/${encodeURIComponent(id)}/verify`);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await env.client.workflow.getHandle(res.body.workflowId).result();
    return (await env.api!.request<BackupView>('GET', `/backups/${encodeURIComponent(id)}`)).body;
  }

  const openBackupIncidents = async () =>
    (
      await env.pool.query<{ id: string; severity: string; title: string }>(
        `SELECT id, severity, title FROM incidents WHERE dedup_key = $1 AND status <> 'resolved'`,
        [BACKUP_INCIDENT_KEY],
      )
    ).rows;

  let good: BackupView;

  it('dumps with pg_dump, restores into a scratch database and finds every row count again', async () => {
    good = await backupNow();
    assert.equal(good.status, 'verified', good.error ?? '');
    assert.ok(good.file && existsSync(good.file), 'the dump file exists');
    assert.ok(good.file.startsWith(backupDir), 'under OPSFLOW_BACKUP_DIR');
    assert.equal(good.sizeBytes, statSync(good.file).size);
    assert.equal(good.sha256, await sha256Of(good.file));
    assert.match(good.pgDumpVersion ?? '', /^pg_dump \(PostgreSQL\) 1[89]\./);
    // Custom format: pg_dump's archive header.
    assert.equal(readFileSync(good.file).subarray(0, 5).toString(), 'PGDMP');
    assert.equal(good.sourceCounts?.['public.customers'], 25);
    assert.equal(good.sourceCounts?.['public.maintenance_windows'], 1);
    assert.ok((good.sourceCounts?.['public.pgmigrations'] ?? 0) > 10, 'the migrations table is in the dump');
    assert.deepEqual(good.restoredCounts, good.sourceCounts);
    // Findable in the Web UI, and the scratch database is gone.
    await eventually(
      async () => (await env.client.workflow.count(`OpsKind = 'backup' AND WorkflowId = '${good.id}'`)).count === 1,
      10_000,
      'the backup run to be findable by OpsKind',
    );
    const scratch = await env.pool.query(`SELECT datname FROM pg_database WHERE datname LIKE 'opsflow_verify_%'`);
    assert.deepEqual(scratch.rows, []);
    const manifest = JSON.parse(readFileSync(`${good.file}.json`, 'utf8')) as BackupManifest;
    assert.deepEqual([manifest.id, manifest.sha256, manifest.counts], [good.id, good.sha256, good.sourceCounts]);
    assert.deepEqual(
      (await env.api!.request<{ backups: BackupView[] }>('GET', '/backups?status=verified')).body.backups.map(
        (b) => b.id,
      ),
      [good.id],
    );
  });

  it('restores a backup into a new database with `npm run restore`, and Opsflow pointed at it finds the data', async () => {
    const name = `restored_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    databases.push(name);
    const target = withDatabase(testStack().adminUrl, name);
    const restored = await runCommand(['src/main/restore-backup.ts', good.file!, '--database-url', target], {
      OPSFLOW_LOG_LEVEL: 'warn',
    });
    assert.equal(restored.code, 0, restored.output);
    assert.match(restored.output, /every table has the row count it had at dump time/);
    assert.match(restored.output, /the schema is current/);

    // Point Opsflow at it: an API on the restored database answers with the data of the backup.
    const other = await startTestEnv({ api: true, workers: false, databaseUrl: target });
    try {
      const mw = await other.api!.request<{ windows: Array<{ id: string; reason: string }> }>(
        'GET',
        '/maintenance-windows',
      );
      assert.equal(mw.status, 200);
      assert.ok(mw.body.windows.some((w) => w.id === 'mw-backup-test' && w.reason === 'restored from a backup'));
      const client = new pg.Client({ connectionString: target });
      await client.connect();
      try {
        const counts = await countRows(client);
        assert.equal(counts['public.customers'], 25);
      } finally {
        await client.end();
      }
    } finally {
      await other.stop();
    }

    // A second restore into the same (now full) database is refused rather than merged.
    const again = await runCommand(['src/main/restore-backup.ts', good.file!, '--database-url', target], {});
    assert.equal(again.code, 1);
    assert.match(again.output, /restore into a new or empty database/);
  });

  it('reports a backup file with flipped bytes unverified and opens one incident; a good backup resolves it', async () => {
    const damaged = await backupNow();
    assert.equal(damaged.status, 'verified');
    flipBytes(damaged.file!);
    const after1 = await restoreTest(damaged.id);
    assert.equal(after1.status, 'unverified');
    assert.match(after1.error ?? '', /changed since the dump: sha256/);
    // The incident's row is written by its workflow's first task, which follows the open (the server's latency).
    const incidents = await eventually(
      async () => {
        const open = await openBackupIncidents();
        return open.length > 0 && open;
      },
      20_000,
      'the backup incident',
    );
    assert.equal(incidents.length, 1);
    assert.equal(after1.incidentId, incidents[0]!.id);
    assert.equal(incidents[0]!.severity, 'P2');

    // Damage that happened before the checksum was taken: the restore itself must catch it.
    await env.pool.query(`UPDATE backups SET sha256 = $2 WHERE id = $1`, [damaged.id, await sha256Of(damaged.file!)]);
    const after2 = await restoreTest(damaged.id);
    assert.equal(after2.status, 'unverified');
    assert.match(after2.error ?? '', /pg_restore failed/);
    assert.equal((await openBackupIncidents()).length, 1, 'the same incident, not a second one');

    // A good backup ends it.
    assert.equal((await backupNow()).status, 'verified');
    await eventually(async () => (await openBackupIncidents()).length === 0, 30_000, 'the backup incident to resolve');
  });

  it('does not verify a backup whose restored row counts differ from the dump', async () => {
    const backup = await backupNow();
    const counts = { ...backup.sourceCounts!, 'public.customers': 26 };
    await env.pool.query(`UPDATE backups SET source_counts = $2 WHERE id = $1`, [backup.id, counts]);
    const tested = await restoreTest(backup.id);
    assert.equal(tested.status, 'unverified');
    assert.match(tested.error ?? '', /row counts differ after restore: public\.customers: 26 → 25/);
  });

  it('keeps 7 daily and 4 weekly verified backups, and never lets failed ones push a verified one out', async () => {
    // Forty nights of verified backups, then a week of failed and unverified ones after them.
    const now = Date.now();
    const fake = (daysAgo: number, status: string) => {
      const id = `fake-${status}-${daysAgo}`;
      const file = join(backupDir, `${id}.dump`);
      writeFileSync(file, id);
      return { id, file, status, startedAt: new Date(now - daysAgo * 86_400_000 - 3_600_000) };
    };
    const verified = Array.from({ length: 40 }, (_, i) => fake(i + 8, 'verified'));
    const broken = Array.from({ length: 6 }, (_, i) => fake(i + 1, i % 2 ? 'failed' : 'unverified'));
    for (const b of [...verified, ...broken]) {
      await env.pool.query(
        `INSERT INTO backups (id, trigger, status, started_at, file_path, verified_at)
         VALUES ($1, 'schedule', $2, $3, $4, CASE WHEN $2 = 'verified' THEN $3::timestamptz END)`,
        [b.id, b.status, b.startedAt, b.file],
      );
    }
    // The earlier tests' verified backups and this one are all from today: one day of the seven.
    const newest = await backupNow();
    assert.equal(newest.status, 'verified');

    const rows = await env.pool.query<{ id: string; deleted_at: Date | null; status: string }>(
      `SELECT id, deleted_at, status FROM backups`,
    );
    const kept = new Set(rows.rows.filter((r) => r.status === 'verified' && !r.deleted_at).map((r) => r.id));
    assert.ok(kept.has(newest.id), 'the newest verified backup is kept');
    // Today plus the six newest verified nights before it, though a week of failures lies between them.
    for (const b of verified.slice(0, 6)) assert.ok(kept.has(b.id), `${b.id} is one of the last 7 days`);
    const keptFakes = verified.filter((b) => kept.has(b.id));
    assert.ok(
      keptFakes.length >= 6 && keptFakes.length <= 9,
      `6 daily + up to 3 weekly fakes kept: ${keptFakes.length}`,
    );
    for (const b of verified.slice(30)) assert.ok(!kept.has(b.id), `${b.id} is older than 4 weeks of backups`);
    for (const b of verified) assert.equal(existsSync(b.file), kept.has(b.id), `file of ${b.id}`);
    // Failed and unverified files are kept as evidence for the daily window, then removed.
    for (const b of broken) assert.equal(existsSync(b.file), true, `evidence ${b.id} kept within 7 days`);
  });

  it('the daily check warns when the newest verified backup is older than 26 hours', async () => {
    const activities = createBackupActivities({ pool: env.pool, client: env.client, config: env.config, log: env.log });
    const asOf = new Date().toISOString();
    const fresh = await activities.backupFreshness({ asOf });
    assert.equal(fresh.status, 'ok', fresh.summary);
    await env.pool.query(`UPDATE backups SET verified_at = now() - interval '27 hours' WHERE status = 'verified'`);
    const stale = await activities.backupFreshness({ asOf });
    assert.equal(stale.status, 'warning');
    assert.match(stale.summary, /27(\.\d)? h old \(limit 26 h\)/);
    await env.pool.query(`UPDATE backups SET status = 'unverified' WHERE status = 'verified'`);
    assert.equal((await activities.backupFreshness({ asOf })).summary, 'no verified backup');
  });

  it('fails a backup without a usable pg_dump at once and pages, saying what to install', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsflow-oldpg-'));
    for (const tool of ['pg_dump', 'pg_restore']) {
      writeFileSync(join(dir, tool), `#!/bin/sh\necho "${tool} (PostgreSQL) 15.18"\n`, { mode: 0o755 });
    }
    const old = await startTestEnv({ api: true, env: { OPSFLOW_PG_BIN_DIR: dir, OPSFLOW_BACKUP_DIR: backupDir } });
    try {
      const res = await old.api!.request<{ id: string }>('POST', '/backups');
      const result = await old.client.workflow.getHandle(res.body.id).result();
      assert.equal(result.status, 'failed');
      assert.match(result.error ?? '', /15\.18, older than the server/);
      const { rows } = await old.pool.query(`SELECT status, error FROM backups WHERE id = $1`, [res.body.id]);
      assert.equal(rows[0].status, 'failed');
      const incidents = await old.pool.query(`SELECT id FROM incidents WHERE dedup_key = $1`, [BACKUP_INCIDENT_KEY]);
      assert.equal(incidents.rows.length, 1);
    } finally {
      await old.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers 404 for an unknown backup and 400 naming the field for a bad query', async () => {
    assert.equal((await env.api!.request('GET', '/backups/nope')).status, 404);
    assert.equal((await env.api!.request('POST', '/backups/nope/verify')).status, 404);
    const bad = await env.api!.request<{ error: { message: string } }>('GET', '/backups?limit=0');
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /limit/);
    assert.equal((await env.api!.request('POST', '/backups', { token: env.api!.viewerToken })).status, 403);
  });
});
