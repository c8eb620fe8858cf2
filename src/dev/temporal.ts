import { Connection } from '@temporalio/client';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.js';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../temporal/search-attributes.js';

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

  if (runs('go', ['version'])) {
    log.info(
      { component: 'temporal', module: `${CLI_MODULE}@${TEMPORAL_CLI_VERSION}`, into: binDir },
      'Building the Temporal CLI with Go. This happens once and takes a few minutes; later starts reuse the build.',
    );
    // Build into a private directory and rename, so a concurrent start never sees half a binary.
    const staging = `${binDir}.build-${process.pid}`;
    mkdirSync(staging, { recursive: true });
    const started = Date.now();
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('go', ['install', `${CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
        env: { ...process.env, GOBIN: staging, CGO_ENABLED: '0' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr.on('data', (chunk: Buffer) => log.debug({ component: 'temporal-build' }, chunk.toString().trim()));
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0) throw new Error(`go install ${CLI_MODULE}@${TEMPORAL_CLI_VERSION} failed with exit code ${code}`);
    if (!existsSync(cached)) renameSync(staging, binDir);
    rmSync(staging, { recursive: true, force: true });
    log.info({ component: 'temporal', seconds: Math.round((Date.now() - started) / 1000) }, 'Temporal CLI built');
    return { path: cached, how: 'go install' };
  }
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
    if (why) throw new Error(`Temporal dev server exited during start: ${why}`);
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

function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
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
        executable: { type: 'cached-download', version: TEMPORAL_CLI_VERSION },
        ip,
        port,
        ui: true,
        uiPort,
        namespace,
        dbFilename: options.dbFile,
        searchAttributes: CUSTOM_SEARCH_ATTRIBUTES.map((key) => key),
      },
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
    ...searchAttributes.flatMap((sa) => ['--search-attribute', sa]),
  ];
  log.info({ component: 'temporal', binary: source.how, address, ui: uiUrl }, 'starting Temporal dev server');
  // Its own process group: a Ctrl-C in the terminal reaches Opsflow, which stops the server after the workers drain.
  const child = spawn(source.path, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stderrTail = '';
  let exitReason: string | undefined;
  child.stdout?.on('data', (chunk: Buffer) => log.debug({ component: 'temporal' }, chunk.toString().trim()));
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-2000);
    log.debug({ component: 'temporal' }, chunk.toString().trim());
  });
  child.on('exit', (code, signal) => {
    exitReason = `code ${code} signal ${signal}: ${stderrTail.trim()}`;
  });
  child.on('error', (err) => {
    exitReason = err.message;
  });
  try {
    await waitForTemporal(address, namespace, 120_000, () => exitReason);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { address, uiUrl, stop: () => stopChild(child) };
}
