/**
 * Restores an Opsflow backup into a new database: `npm run restore -- <backup file> --database-url <url>`.
 *
 * Needs no running Opsflow and no Opsflow database: the backup's manifest (`<file>.json`, written beside every
 * dump) holds its sha256 and the row count of every table at dump time. The target database is created when it
 * does not exist and must be empty when it does. Afterwards every table's row count is compared with the
 * manifest and the schema is checked for pending migrations; then start Opsflow with `DATABASE_URL` set to the
 * target (docs/production.md, "Restoring a backup").
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { parse } from 'pg-connection-string';
import {
  countDifferences,
  prepareBackupTools,
  restoreAndCheck,
  sha256Of,
  withDatabase,
  type BackupManifest,
} from '../backups/backup.js';
import { loadConfigOrExit } from '../config.js';
import { createLogger } from '../logger.js';

const USAGE = 'usage: npm run restore -- <backup file> --database-url postgres://user:password@host:5432/new_database';

/** The URL without its password, for messages. */
function shown(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** Creates the target database if it is missing; refuses one that already holds tables. */
async function prepareTarget(url: string): Promise<void> {
  const database = parse(url).database;
  if (!database) throw new Error(`--database-url names no database: ${shown(url)}`);
  const admin = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) {
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(database)} TEMPLATE template0`);
      return;
    }
  } finally {
    await admin.end();
  }
  const target = new pg.Client({ connectionString: url });
  await target.connect();
  try {
    const { rows } = await target.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`,
    );
    if (rows[0]!.n > 0) {
      throw new Error(`${database} already holds ${rows[0]!.n} tables: restore into a new or empty database`);
    }
  } finally {
    await target.end();
  }
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { 'database-url': { type: 'string' } },
    allowPositionals: true,
  });
  const file = positionals[0];
  const url = values['database-url'];
  if (!file || !url || positionals.length > 1) {
    console.error(USAGE);
    return 2;
  }
  if (!existsSync(file)) {
    console.error(`No backup file at ${file}`);
    return 2;
  }
  const config = loadConfigOrExit();
  const log = createLogger(config.logLevel, config.logFormat).child({ component: 'restore' });
  const manifestPath = `${file}.json`;
  const manifest = existsSync(manifestPath)
    ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as BackupManifest)
    : undefined;
  if (manifest) {
    const sha256 = await sha256Of(file);
    if (sha256 !== manifest.sha256) {
      console.error(`${file} changed since the dump (sha256 ${sha256} instead of ${manifest.sha256}): not restored`);
      return 1;
    }
    console.log(`backup ${manifest.id} of ${manifest.dumpedAt}: sha256 matches its manifest`);
  } else {
    console.log(`no manifest beside ${file}: restoring without checking its sha256 and row counts`);
  }

  await prepareTarget(url);
  const tools = await prepareBackupTools(url, { binDir: config.backups.pgBinDir, cacheDir: config.cacheDir, log });
  const { restoredCounts, pending } = await restoreAndCheck({ file, connectionString: url, tools });
  const tables = Object.keys(restoredCounts).length;
  const rows = Object.values(restoredCounts).reduce((a, b) => a + b, 0);
  console.log(`restored into ${shown(url)} with ${tools.version}: ${tables} tables, ${rows} rows`);
  let ok = true;
  if (manifest) {
    const differences = countDifferences(manifest.counts, restoredCounts);
    if (differences.length > 0) {
      ok = false;
      console.error(`row counts differ from the dump: ${differences.join('; ')}`);
    } else {
      console.log('every table has the row count it had at dump time');
    }
  }
  if (pending.length > 0) {
    console.log(`the schema predates this Opsflow: ${pending.length} migrations will run at the next start`);
  } else {
    console.log('the schema is current');
  }
  if (ok) console.log(`next: start Opsflow with DATABASE_URL=${shown(url)} (the password as you gave it)`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`restore failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
