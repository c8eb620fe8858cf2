import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { parse } from 'pg-connection-string';
import type { Pool } from '../db/pool.js';
import { pendingMigrations } from '../db/migrate.js';
import { findPgTools, type PgTools } from './pg-tools.js';
import type { Logger } from '../logger.js';

const run = promisify(execFile);

/** Row count of every table, keyed `schema.table`. */
export type TableCounts = Record<string, number>;

/** What a backup needs: the database it dumps (through the pool's connection string) and where files go. */
export interface BackupDeps {
  pool: Pool;
  log: Logger;
  backups: { dir: string; pgBinDir?: string };
  cacheDir: string;
}

/** What `pg_dump` wrote, written again beside the file as `<file>.json` so a restore needs no database. */
export interface BackupManifest {
  id: string;
  file: string;
  sizeBytes: number;
  sha256: string;
  pgDumpVersion: string;
  serverVersion: string;
  dumpedAt: string;
  /** Row count of every table in the dump's own snapshot. */
  counts: TableCounts;
}

/** Outcome of a restore test: verified only if the file was intact, restored, and matched on every count. */
export interface VerifyOutcome {
  verified: boolean;
  /** Why not, naming the tables or the step that failed. */
  error?: string;
  restoredCounts?: TableCounts;
}

function connectionStringOf(pool: Pool): string {
  const url = (pool.options as { connectionString?: string }).connectionString;
  if (!url) throw new Error('the database pool was opened without a connection string');
  return url;
}

/**
 * The connection as libpq environment variables for `pg_dump` and `pg_restore`: the password reaches the child
 * through its environment, never its command line (which `ps` shows to every user of the machine).
 */
function libpqEnv(connectionString: string, database?: string): NodeJS.ProcessEnv {
  const c = parse(connectionString);
  const env: NodeJS.ProcessEnv = { ...process.env };
  const set = (name: string, value: string | null | undefined | boolean) => {
    if (value !== undefined && value !== null && value !== false && value !== '') env[name] = String(value);
  };
  set('PGHOST', c.host);
  set('PGPORT', c.port);
  set('PGUSER', c.user);
  set('PGPASSWORD', c.password);
  set('PGDATABASE', database ?? c.database);
  if (typeof c.ssl === 'boolean' && c.ssl) set('PGSSLMODE', 'require');
  set('PGSSLMODE', (c as { sslmode?: string }).sslmode);
  return env;
}

/** The major version of the server, e.g. 18 for 18.4. */
async function serverVersion(client: pg.ClientBase): Promise<{ major: number; text: string }> {
  const { rows } = await client.query<{ num: string; text: string }>(
    `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text`,
  );
  return { major: Math.floor(Number(rows[0]!.num) / 10_000), text: rows[0]!.text };
}

/** The server's version and the client tools for it (its major or newer), found or fetched once. */
async function toolsFor(
  client: pg.ClientBase,
  options: { binDir?: string; cacheDir: string; log: Logger },
): Promise<{ server: { major: number; text: string }; tools: PgTools }> {
  const server = await serverVersion(client);
  return { server, tools: await findPgTools({ ...options, serverMajor: server.major }) };
}

/**
 * Row count of every ordinary and partitioned table outside the system schemas (partitions are counted through
 * their parent). Exact `count(*)`, not statistics: this is the figure a restore must reproduce.
 */
export async function countRows(client: pg.ClientBase): Promise<TableCounts> {
  const { rows: tables } = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY 1, 2`,
  );
  if (tables.length === 0) return {};
  const { rows } = await client.query<{ key: string; n: number }>(
    tables
      .map(
        (t) =>
          `SELECT ${pg.escapeLiteral(`${t.schema}.${t.name}`)} AS key, count(*)::bigint AS n ` +
          `FROM ${pg.escapeIdentifier(t.schema)}.${pg.escapeIdentifier(t.name)}`,
      )
      .join(' UNION ALL '),
  );
  return Object.fromEntries(rows.map((r) => [r.key, Number(r.n)]));
}

/** The tables whose counts differ, or that exist on one side only, as `table: 12 → 11`. */
export function countDifferences(source: TableCounts, restored: TableCounts): string[] {
  const tables = [...new Set([...Object.keys(source), ...Object.keys(restored)])].sort();
  return tables
    .filter((t) => source[t] !== restored[t])
    .map((t) => `${t}: ${source[t] ?? 'absent'} → ${restored[t] ?? 'absent'}`);
}

/** sha256 of a file, streamed. */
export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Last lines of a tool's stderr, for an error message. */
function stderrTail(err: unknown): string {
  const stderr = (err as { stderr?: string }).stderr?.trim();
  return stderr ? stderr.split('\n').slice(-5).join(' | ') : (err as Error).message;
}

/** `backups/opsflow-backup-2026-12-03T02-00-00Z.dump`: a file name from a backup id. */
export function backupFileName(id: string): string {
  return `opsflow-${id.replace(/[^A-Za-z0-9._-]/g, '-')}.dump`;
}

async function connect(connectionString: string, database?: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString, ...(database ? { database } : {}) });
  await client.connect();
  return client;
}

/**
 * Finds (or fetches once) the client tools for the server behind `connectionString`, so the first backup does
 * not wait for them and a machine that cannot have them says so at start rather than at 02:00.
 *
 * @example
 * const tools = await prepareBackupTools(databaseUrl, { binDir: config.backups.pgBinDir, cacheDir: config.cacheDir, log });
 */
export async function prepareBackupTools(
  connectionString: string,
  options: { binDir?: string; cacheDir: string; log: Logger },
): Promise<PgTools> {
  const client = await connect(connectionString);
  try {
    return (await toolsFor(client, options)).tools;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface DumpResult {
  file: string;
  sizeBytes: number;
  sha256: string;
  pgDumpVersion: string;
  serverVersion: string;
  counts: TableCounts;
}

/**
 * Dumps the database with `pg_dump --format=custom` into `<backup dir>/<file>.dump`. The row counts and the dump
 * come from one snapshot: a repeatable-read transaction exports its snapshot, counts every table, and `pg_dump`
 * reads through `--snapshot`, so the counts are exactly what the file holds. The file is written as `.partial`
 * and renamed once complete; its manifest (`.json`) is written beside it.
 *
 * @throws {PgToolsError} when no `pg_dump` of the server's major version or newer can be found.
 */
export async function dumpDatabase(
  deps: BackupDeps,
  id: string,
  options: { signal?: AbortSignal } = {},
): Promise<DumpResult> {
  const connectionString = connectionStringOf(deps.pool);
  mkdirSync(deps.backups.dir, { recursive: true, mode: 0o700 });
  const file = join(deps.backups.dir, backupFileName(id));
  const partial = `${file}.partial`;
  const client = await connect(connectionString);
  try {
    const { server, tools } = await toolsFor(client, {
      binDir: deps.backups.pgBinDir,
      cacheDir: deps.cacheDir,
      log: deps.log,
    });
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await client.query<{ snapshot: string }>('SELECT pg_export_snapshot() AS snapshot');
    const counts = await countRows(client);
    try {
      await run(
        tools.pgDump,
        ['--format=custom', `--snapshot=${rows[0]!.snapshot}`, '--no-password', `--file=${partial}`],
        { env: libpqEnv(connectionString), signal: options.signal, maxBuffer: 1024 * 1024 },
      );
    } catch (err) {
      rmSync(partial, { force: true });
      throw new Error(`pg_dump failed: ${stderrTail(err)}`);
    }
    await client.query('COMMIT');
    renameSync(partial, file);
    const result: DumpResult = {
      file,
      sizeBytes: statSync(file).size,
      sha256: await sha256Of(file),
      pgDumpVersion: tools.version,
      serverVersion: server.text,
      counts,
    };
    const manifest: BackupManifest = { id, ...result, dumpedAt: new Date().toISOString() };
    writeFileSync(`${file}.json`, JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
    return result;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A scratch database name unique to this database and backup, within PostgreSQL's 63-byte limit. */
export function scratchDatabaseName(sourceDatabase: string, id: string): string {
  return `opsflow_verify_${createHash('sha256').update(`${sourceDatabase}/${id}`).digest('hex').slice(0, 20)}`;
}

export interface RestoreOptions {
  file: string;
  /** The database to restore into: it must exist and be empty. */
  connectionString: string;
  tools: PgTools;
  signal?: AbortSignal;
}

/**
 * Restores a custom-format dump into an empty database with `pg_restore`, stopping at the first error. Objects
 * are owned by the connecting role (`--no-owner`, `--no-privileges`), so a restore works on a new server whose
 * roles differ from the old one.
 */
export async function restoreDump(options: RestoreOptions): Promise<void> {
  try {
    await run(
      options.tools.pgRestore,
      [
        '--no-owner',
        '--no-privileges',
        '--exit-on-error',
        '--no-password',
        '--dbname',
        parse(options.connectionString).database ?? '',
        options.file,
      ],
      { env: libpqEnv(options.connectionString), signal: options.signal, maxBuffer: 1024 * 1024 },
    );
  } catch (err) {
    throw new Error(`pg_restore failed: ${stderrTail(err)}`);
  }
}

/** What a restore brought back: every table's row count, and the migrations the restored schema still lacks. */
export interface RestoreCheck {
  restoredCounts: TableCounts;
  pending: string[];
}

/**
 * Restores a dump into an empty database and reads back what a restore must prove: the row count of every table
 * and the migrations still pending (none, for a backup of a current Opsflow).
 *
 * @throws when `pg_restore` fails (a damaged file, a database that is not empty, a server too old for the dump).
 */
export async function restoreAndCheck(options: RestoreOptions): Promise<RestoreCheck> {
  await restoreDump(options);
  const restored = await connect(options.connectionString);
  try {
    return { restoredCounts: await countRows(restored), pending: await pendingMigrations(restored) };
  } finally {
    await restored.end().catch(() => undefined);
  }
}

/** The same server as `connectionString`, another database. */
export function withDatabase(connectionString: string, database: string): string {
  const url = new URL(connectionString);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export interface StoredBackup {
  id: string;
  file: string | null;
  sha256: string | null;
  counts: TableCounts | null;
}

/**
 * The restore test: the file's sha256 must match the one taken at dump time; it is restored into a scratch
 * database on the same server; every table's row count must equal the count at dump time; and the restored
 * schema must have no pending migration. The scratch database is dropped whatever happened.
 */
export async function verifyBackup(
  deps: BackupDeps,
  backup: StoredBackup,
  options: { signal?: AbortSignal } = {},
): Promise<VerifyOutcome> {
  if (!backup.file || !backup.sha256 || !backup.counts) return { verified: false, error: 'the backup has no dump' };
  if (!existsSync(backup.file)) return { verified: false, error: `the backup file ${backup.file} is missing` };
  const sha256 = await sha256Of(backup.file);
  if (sha256 !== backup.sha256) {
    return {
      verified: false,
      error: `the backup file changed since the dump: sha256 ${sha256.slice(0, 12)}… instead of ${backup.sha256.slice(0, 12)}…`,
    };
  }
  const connectionString = connectionStringOf(deps.pool);
  const admin = await connect(connectionString);
  let scratch: string | undefined;
  try {
    const { tools } = await toolsFor(admin, { binDir: deps.backups.pgBinDir, cacheDir: deps.cacheDir, log: deps.log });
    const name = scratchDatabaseName(parse(connectionString).database ?? '', backup.id);
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    try {
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE template0`);
    } catch (err) {
      return {
        verified: false,
        error: `could not create the scratch database for the restore test (${(err as Error).message}); the Opsflow database role needs CREATEDB`,
      };
    }
    scratch = name;
    const scratchUrl = withDatabase(connectionString, name);
    let check: RestoreCheck;
    try {
      check = await restoreAndCheck({ file: backup.file, connectionString: scratchUrl, tools, signal: options.signal });
    } catch (err) {
      return { verified: false, error: (err as Error).message };
    }
    const { restoredCounts } = check;
    const differences = countDifferences(backup.counts, restoredCounts);
    if (differences.length > 0) {
      return { verified: false, restoredCounts, error: `row counts differ after restore: ${differences.join('; ')}` };
    }
    if (check.pending.length > 0) {
      return {
        verified: false,
        restoredCounts,
        error: `restored schema is not current: pending ${check.pending.join(', ')}`,
      };
    }
    return { verified: true, restoredCounts };
  } finally {
    if (scratch) {
      await admin
        .query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(scratch)} WITH (FORCE)`)
        .catch((err: Error) =>
          deps.log.warn({ component: 'backups', database: scratch, err: err.message }, 'scratch database not dropped'),
        );
    }
    await admin.end().catch(() => undefined);
  }
}
