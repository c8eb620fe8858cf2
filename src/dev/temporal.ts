import { Connection } from '@temporalio/client';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.js';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../temporal/search-attributes.js';
import { commandLine, isAlive, stopChild, stopOnExit, stopPid, type StopStep } from './processes.js';

/** The Temporal CLI release Opsflow's dev server is built from. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

export interface DevServerOptions {
  /** Explicit binary (TEMPORAL_CLI_PATH). */
  cliPath?: string;
  cacheDir: string;
  /** SQLite file that keeps the server's state across restarts; in memory without one. */
  dbFile?: string;
  ip?: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** Opsflow's payload codec endpoint, for the Web UI to show encrypted payloads decoded. */
  codecEndpoint?: string;
  log: Logger;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

type CliSource = { path: string; how: string } | { sdkDownload: true };

function runs(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

/** What to do when there is no Temporal CLI to run. */
export const NO_CLI_ADVICE =
  'Set TEMPORAL_CLI_PATH to a temporal binary, or TEMPORAL_ADDRESS to a running Temporal server.';

/** Why a `go install` of `what` failed, in words an operator can act on, from the tail of its output. */
export function goBuildFailure(
  code: number | null,
  stderr: string,
  what = 'the Temporal CLI',
  advice = NO_CLI_ADVICE,
): string {
  const offline = /dial tcp|no such host|connection refused|i\/o timeout|TLS handshake|proxyconnect|403 Forbidden/;
  const why = offline.test(stderr)
    ? 'the Go module proxy could not be reached (GOPROXY, network)'
    : `go install exited with ${code}`;
  const detail = stderr.trim().split('\n').slice(-3).join(' | ');
  return `Building ${what} failed: ${why}. ${advice}${detail ? ` Last output: ${detail}` : ''}`;
}

/** How often a long first build says it is still at work. */
const BUILD_PROGRESS_MS = 15_000;

/** A `go install` of Temporal binaries into Opsflow's cache. */
export interface GoBuild {
  /** What is built, for the log and errors ("the Temporal CLI"). */
  what: string;
  /** `module/path@version` of each command to install. */
  modules: string[];
  /** Where the binaries end up; it appears complete or not at all. */
  binDir: string;
  /** Last touches in the staging directory before it becomes `binDir` (renames, copied files). */
  finish?: (staging: string) => void;
  /** What to do instead when the build cannot be made. */
  advice: string;
  log: Logger;
}

/**
 * `go install`s `modules` into `binDir` through a private directory, so a concurrent start never sees half a build,
 * reporting progress while it runs (a first build takes minutes).
 *
 * @example
 * await goInstall({ what: 'the Temporal CLI', modules: [`${CLI_MODULE}@v1.5.1`], binDir, advice: NO_CLI_ADVICE, log });
 */
export async function goInstall(build: GoBuild): Promise<void> {
  const { what, modules, binDir, advice, log } = build;
  log.info(
    { component: 'temporal', modules, into: binDir },
    `Building ${what} with Go. This happens once and takes a few minutes; later starts reuse the build.`,
  );
  const staging = `${binDir}.build-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 1000);
  let stderr = '';
  // `go: downloading …` lines come first; a stretch without them is the compile.
  let downloading = false;
  const progress = setInterval(() => {
    const step = downloading ? 'downloading modules' : 'compiling';
    downloading = false;
    log.info({ component: 'temporal', seconds: seconds(), step }, `still building ${what}: ${step}`);
  }, BUILD_PROGRESS_MS);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('go', ['install', ...modules], {
        env: { ...process.env, GOBIN: staging, CGO_ENABLED: '0' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-4000);
        if (chunk.includes('go: downloading')) downloading = true;
        log.debug({ component: 'temporal-build' }, chunk.toString().trim());
      });
      child.once('error', (err) => reject(new Error(`Could not run go: ${err.message}. ${advice}`)));
      child.once('close', resolve);
    });
    if (code !== 0) throw new Error(goBuildFailure(code, stderr, what, advice));
    build.finish?.(staging);
    if (!existsSync(binDir)) renameSync(staging, binDir);
    log.info({ component: 'temporal', seconds: seconds() }, `${what} built in ${seconds()} s`);
  } finally {
    clearInterval(progress);
    rmSync(staging, { recursive: true, force: true });
  }
}

/** `go install`s the CLI into `binDir`. */
async function buildTemporalCli(binDir: string, log: Logger): Promise<string> {
  const modules = [`${CLI_MODULE}@${TEMPORAL_CLI_VERSION}`];
  await goInstall({ what: 'the Temporal CLI', modules, binDir, advice: NO_CLI_ADVICE, log });
  return join(binDir, 'temporal');
}

/**
 * Finds the Temporal CLI: TEMPORAL_CLI_PATH, then `temporal` on PATH, then a cached build, then a fresh
 * `go install` into the cache where Go is installed; failing all of those, the SDK's own cached download.
 */
export async function findTemporalCli(
  options: Pick<DevServerOptions, 'cliPath' | 'cacheDir' | 'log'>,
): Promise<CliSource> {
  const { cliPath, cacheDir, log } = options;
  if (cliPath) {
    if (!existsSync(cliPath)) throw new Error(`TEMPORAL_CLI_PATH points to ${cliPath}, which does not exist`);
    return { path: cliPath, how: 'TEMPORAL_CLI_PATH' };
  }
  if (runs('temporal', ['--version'])) return { path: 'temporal', how: 'PATH' };

  const binDir = join(cacheDir, `temporal-cli-${TEMPORAL_CLI_VERSION}`);
  const cached = join(binDir, 'temporal');
  if (existsSync(cached)) return { path: cached, how: 'cache' };

  if (runs('go', ['version'])) return { path: await buildTemporalCli(binDir, log), how: 'go install' };
  return { sdkDownload: true };
}

/** Waits until the frontend answers health checks and the namespace exists. */
export async function waitForTemporal(
  address: string,
  namespace: string,
  timeoutMs: number,
  exited?: () => string | undefined,
) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const why = exited?.();
    if (why) throw new Error(`Temporal exited during start: ${why}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await sleep(250);
    }
  }
  throw new Error(`Temporal at ${address} was not ready within ${timeoutMs} ms: ${String(lastError)}`);
}

/** The dev server stops its services on SIGTERM within a few seconds. */
const STOP_STEPS: StopStep[] = [
  ['SIGTERM', 15_000],
  ['SIGKILL', 5_000],
];

/**
 * Stops a dev server left running on the state file `dbFile` by an earlier start that was killed: the pid file
 * beside the state names it, and its command line names the state file (so a reused pid is never mistaken for it).
 *
 * @example
 * await stopStaleDevServer('.data/temporal.db', log);
 */
export async function stopStaleDevServer(dbFile: string, log: Logger): Promise<void> {
  const pidFile = `${dbFile}.pid`;
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return;
  }
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && commandLine(pid)?.includes(dbFile)) {
    log.warn(
      { component: 'temporal', pid, dbFile },
      'stopping the Temporal dev server left running by an earlier start',
    );
    if (!(await stopPid(pid, STOP_STEPS))) throw new Error(`Temporal dev server pid ${pid} does not stop`);
  }
  rmSync(pidFile, { force: true });
}

/**
 * Starts `temporal server start-dev` with its Web UI, state in `dbFile` and Opsflow's search attributes
 * registered, and waits until it serves the namespace.
 *
 * @example
 * const temporal = await startTemporalDevServer({ cacheDir, dbFile: '.data/temporal.db', port: 7233, uiPort: 8233, namespace: 'default', log });
 */
export async function startTemporalDevServer(options: DevServerOptions): Promise<DevServer> {
  const { log, port, uiPort, namespace } = options;
  const ip = options.ip ?? '127.0.0.1';
  const address = `${ip}:${port}`;
  const uiUrl = `http://${ip}:${uiPort}`;
  const pidFile = options.dbFile ? `${options.dbFile}.pid` : undefined;
  if (options.dbFile) await stopStaleDevServer(options.dbFile, log);
  const source = await findTemporalCli(options);
  const searchAttributes = CUSTOM_SEARCH_ATTRIBUTES.map((key) => `${key.name}=Keyword`);

  if ('sdkDownload' in source) {
    log.info(
      { component: 'temporal' },
      'No Temporal CLI or Go found: using the Temporal SDK download of the dev server',
    );
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        extraArgs: options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : [],
        executable: { type: 'cached-download', version: TEMPORAL_CLI_VERSION },
        ip,
        port,
        ui: true,
        uiPort,
        namespace,
        dbFilename: options.dbFile,
        searchAttributes: CUSTOM_SEARCH_ATTRIBUTES.map((key) => key),
      },
    }).catch((err: unknown) => {
      throw new Error(`Downloading the Temporal dev server failed: ${String(err)}. ${NO_CLI_ADVICE}`);
    });
    return { address, uiUrl, stop: () => env.teardown() };
  }

  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    ...(options.dbFile ? ['--db-filename', options.dbFile] : []),
    '--namespace',
    namespace,
    '--log-level',
    'warn',
    // Search attributes become usable in queries as soon as they are registered.
    '--dynamic-config-value',
    'system.forceSearchAttributesCacheRefreshOnRead=true',
    // As deploy/temporal/dynamicconfig.yaml: an activity scheduled by a workflow task goes back to the worker that
    // completed it, when that worker has a free slot, without a round through the task queue.
    '--dynamic-config-value',
    'system.enableActivityEagerExecution=true',
    ...searchAttributes.flatMap((sa) => ['--search-attribute', sa]),
    // The Web UI decodes encrypted payloads through Opsflow's codec endpoint.
    ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
  ];
  log.info({ component: 'temporal', binary: source.how, address, ui: uiUrl }, 'starting Temporal dev server');
  // Its own process group: a Ctrl-C in the terminal reaches Opsflow, which stops the server after the workers drain.
  // Its output goes to a file, not a pipe to this process: after a kill -9 of Opsflow a pipe would break, and the
  // server (a Go program) would die at its next log line instead of waiting for the next start to find it.
  const logFile = options.dbFile
    ? `${options.dbFile}.log`
    : join(tmpdir(), `opsflow-temporal-${port}-${process.pid}.log`);
  const out = openSync(logFile, 'w');
  const child = spawn(source.path, args, { stdio: ['ignore', out, out], detached: true });
  closeSync(out);
  /** The log's end, led by a Go panic's first line when it crashed (the stack trace after it fills the end). */
  const logTail = () => {
    try {
      const text = readFileSync(logFile, 'utf8');
      const panic = /^panic: .*$/m.exec(text)?.[0];
      const tail = text.slice(-2000).trim();
      return panic && !tail.includes(panic) ? `${panic}\n…\n${tail}` : tail;
    } catch {
      return '';
    }
  };
  let exitReason: string | undefined;
  child.on('exit', (code, signal) => {
    exitReason = `code ${code} signal ${signal}: ${logTail()} (log: ${logFile})`;
  });
  child.on('error', (err) => {
    exitReason = `could not run ${source.path}: ${err.message}. ${NO_CLI_ADVICE}`;
  });
  stopOnExit(child, 'SIGTERM');
  if (pidFile && child.pid) writeFileSync(pidFile, String(child.pid));
  const stop = async () => {
    await stopChild(child, STOP_STEPS);
    if (pidFile) rmSync(pidFile, { force: true });
    if (!options.dbFile) rmSync(logFile, { force: true });
  };
  try {
    await waitForTemporal(address, namespace, 120_000, () => exitReason);
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, uiUrl, stop };
}
