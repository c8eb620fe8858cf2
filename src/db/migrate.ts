import { runner } from 'node-pg-migrate';
import type { ClientBase } from 'pg';
import type { Logger } from '../logger.js';
import { packagePath } from '../paths.js';

/** The versioned SQL migrations shipped with Opsflow. */
export const MIGRATIONS_DIR = packagePath('migrations');

/**
 * Applies every pending migration, holding node-pg-migrate's advisory lock so concurrent starts are safe: a process
 * that finds the lock taken waits for it (the library's default is to fail), then finds nothing left to apply. A
 * deployment starts its workers and API at once, and each of them migrates first.
 *
 * @example
 * await migrate(config.database.url, log);
 */
export async function migrate(databaseUrl: string, log?: Logger): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    migrationsTable: 'pgmigrations',
    direction: 'up',
    checkOrder: true,
    advisoryLockMode: 'wait',
    log: (msg: string) => log?.debug({ component: 'migrate' }, msg),
  });
  const names = applied.map((m) => m.name);
  if (names.length > 0) log?.info({ component: 'migrate', applied: names }, 'database migrated');
  return names;
}

/**
 * The migrations a database still lacks, without applying them (node-pg-migrate's dry run, with its order
 * check: a database whose applied migrations do not match the shipped ones throws). Empty: the schema is current.
 *
 * @example
 * if ((await pendingMigrations(client)).length > 0) throw new Error('restored schema is not current');
 */
export async function pendingMigrations(client: ClientBase): Promise<string[]> {
  const pending = await runner({
    dbClient: client,
    dir: MIGRATIONS_DIR,
    migrationsTable: 'pgmigrations',
    direction: 'up',
    checkOrder: true,
    dryRun: true,
    log: () => undefined,
  });
  return pending.map((m) => m.name);
}
