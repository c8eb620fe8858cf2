import { spawn } from 'node:child_process';
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import { packagePath } from '../paths.js';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../temporal/search-attributes.js';
import { isPortFree } from './ports.js';
import { stopChild, stopOnExit, type StopStep } from './processes.js';
import { findTemporalCli, goInstall, waitForTemporal, type DevServer } from './temporal.js';

/**
 * The Temporal server as production runs it: every service in one process, history and visibility in PostgreSQL,
 * configured by `deploy/temporal/production.yaml` and set up by the scripts beside it, the same files the compose
 * stack uses. `npm run test:topology` runs Opsflow's suites on it.
 */

/** The server release Opsflow is tested on; docker-compose.yml pins the same (a test keeps them in step). */
export const TEMPORAL_SERVER_VERSION = 'v1.28.1';
const SERVER_MODULE = 'go.temporal.io/server';
/** The repository's Temporal configuration: the server config, its dynamic config and the setup scripts. */
export const TEMPORAL_DEPLOY_DIR = packagePath('deploy', 'temporal');

const ADVICE = 'Install Go (the server is built from source once), or run the compose stack (docs/production.md).';

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
}

/**
 * The server and its SQL schema tool, built once by `go install` into the cache beside the CLI.
 *
 * @example
 * const { server, sqlTool } = await findTemporalServer(config.cacheDir, log);
 */
export async function findTemporalServer(cacheDir: string, log: Logger): Promise<TemporalServerBinaries> {
  const binDir = join(cacheDir, `temporal-server-${TEMPORAL_SERVER_VERSION}`);
  const binaries = { server: join(binDir, 'temporal-server'), sqlTool: join(binDir, 'temporal-sql-tool') };
  if (existsSync(binaries.server) && existsSync(binaries.sqlTool)) return binaries;
  await goInstall({
    what: `the Temporal server ${TEMPORAL_SERVER_VERSION}`,
    modules: ['cmd/server', 'cmd/tools/sql'].map((cmd) => `${SERVER_MODULE}/${cmd}@${TEMPORAL_SERVER_VERSION}`),
    binDir,
    // `go install` names them after their directories; the images call them temporal-server and temporal-sql-tool.
    finish: (staging) => {
      renameSync(join(staging, 'server'), join(staging, 'temporal-server'));
      renameSync(join(staging, 'sql'), join(staging, 'temporal-sql-tool'));
    },
    advice: ADVICE,
    log,
  });
  return binaries;
}

/** The PostgreSQL the server keeps its history and visibility in. */
export interface TemporalPostgres {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface TemporalServerOptions {
  cacheDir: string;
  /** Explicit CLI binary (TEMPORAL_CLI_PATH) for the namespace setup. */
  cliPath?: string;
  postgres: TemporalPostgres;
  /** The frontend's gRPC port; the other services take free ports. */
  port: number;
  namespace: string;
  log: Logger;
}

export interface TemporalServer extends DevServer {
  /** Starts the server again after `stop()`, on the same ports and databases. */
  restart(): Promise<void>;
}

/** The server drains its services on SIGTERM. */
const STOP_STEPS: StopStep[] = [
  ['SIGTERM', 20_000],
  ['SIGKILL', 5_000],
];

/**
 * A free port the server can record: it stores membership ports in a smallint column, so they must stay below
 * 32768, under the ephemeral range where the operating system's own free ports come from.
 */
async function freeMembershipPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!taken.has(port) && (await isPortFree(port))) {
      taken.add(port);
      return port;
    }
  }
}

/** Runs one of the setup scripts in deploy/temporal, failing with its output. */
async function runScript(script: string, args: string[], env: Record<string, string>, log: Logger): Promise<void> {
  const output = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
    const child = spawn('sh', [join(TEMPORAL_DEPLOY_DIR, script), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    const collect = (chunk: Buffer) => {
      text = (text + chunk.toString()).slice(-4000);
      log.debug({ component: 'temporal-setup', script }, chunk.toString().trim());
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, text }));
  });
  if (output.code !== 0) throw new Error(`deploy/temporal/${script} failed (${output.code}): ${output.text.trim()}`);
}

/**
 * The environment production.yaml is rendered with, as the compose stack sets it for the server image, with the
 * ports of the services other than the frontend's (eight, below 32768).
 */
export function serverEnvironment(
  options: Pick<TemporalServerOptions, 'postgres' | 'port'>,
  ports: number[],
): Record<string, string> {
  const { postgres } = options;
  const [membership, http, history, historyMembership, matching, matchingMembership, worker, workerMembership] =
    ports.map(String);
  return {
    POSTGRES_SEEDS: postgres.host,
    DB_PORT: String(postgres.port),
    POSTGRES_USER: postgres.user,
    POSTGRES_PWD: postgres.password,
    BIND_ON_IP: '127.0.0.1',
    LOG_LEVEL: 'warn',
    FRONTEND_GRPC_PORT: String(options.port),
    FRONTEND_MEMBERSHIP_PORT: membership!,
    FRONTEND_HTTP_PORT: http!,
    HISTORY_GRPC_PORT: history!,
    HISTORY_MEMBERSHIP_PORT: historyMembership!,
    MATCHING_GRPC_PORT: matching!,
    MATCHING_MEMBERSHIP_PORT: matchingMembership!,
    WORKER_GRPC_PORT: worker!,
    WORKER_MEMBERSHIP_PORT: workerMembership!,
    DYNAMIC_CONFIG_FILE_PATH: join(TEMPORAL_DEPLOY_DIR, 'dynamicconfig.yaml'),
  };
}

/**
 * Builds (once) and starts the Temporal server on PostgreSQL: creates or upgrades its schemas
 * (deploy/temporal/setup-schema.sh), starts it from deploy/temporal/production.yaml, then creates the namespace and
 * registers Opsflow's search attributes (deploy/temporal/setup-namespace.sh), and waits until it serves them.
 *
 * @example
 * const temporal = await startTemporalServer({ cacheDir, postgres, port: 7233, namespace: 'default', log });
 * await temporal.stop(); await temporal.restart();
 */
export async function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServer> {
  const { log, namespace } = options;
  const address = `127.0.0.1:${options.port}`;
  const [binaries, cli] = await Promise.all([
    findTemporalServer(options.cacheDir, log),
    findTemporalCli({ cliPath: options.cliPath, cacheDir: options.cacheDir, log }),
  ]);
  if ('sdkDownload' in cli) throw new Error(`The Temporal server needs the Temporal CLI for its setup. ${ADVICE}`);
  const taken = new Set<number>();
  const ports: number[] = [];
  for (let i = 0; i < 8; i++) ports.push(await freeMembershipPort(taken));
  const env = serverEnvironment(options, ports);

  const started = Date.now();
  await runScript('setup-schema.sh', [], { ...env, SQL_TOOL: binaries.sqlTool }, log);
  log.info({ component: 'temporal', ms: Date.now() - started }, 'Temporal schemas ready in PostgreSQL');

  let child: ReturnType<typeof spawn> | undefined;
  const launch = async () => {
    let stderrTail = '';
    let exitReason: string | undefined;
    // Its own process group, like the dev server: Opsflow stops it after the workers drained.
    const server = spawn(
      binaries.server,
      ['--root', TEMPORAL_DEPLOY_DIR, '--config', '.', '--env', 'production', '--allow-no-auth', 'start'],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    child = server;
    const collect = (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString()).slice(-2000);
      log.debug({ component: 'temporal' }, chunk.toString().trim());
    };
    server.stdout?.on('data', collect);
    server.stderr?.on('data', collect);
    server.on('exit', (code, signal) => (exitReason = `code ${code} signal ${signal}: ${stderrTail.trim()}`));
    server.on('error', (err) => (exitReason = `could not run ${binaries.server}: ${err.message}`));
    stopOnExit(server, 'SIGTERM');
    // The system namespace answers once the services joined; Opsflow's namespace may not exist yet.
    await waitForTemporal(address, 'temporal-system', 120_000, () => exitReason);
  };
  const stop = async () => {
    if (child) await stopChild(child, STOP_STEPS);
  };
  try {
    await launch();
    const attributes = CUSTOM_SEARCH_ATTRIBUTES.map((key) => key.name);
    await runScript(
      'setup-namespace.sh',
      attributes,
      { TEMPORAL_CLI: cli.path, TEMPORAL_ADDRESS: address, NAMESPACE: namespace },
      log,
    );
    await waitForTemporal(address, namespace, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  log.info({ component: 'temporal', address, seconds: (Date.now() - started) / 1000 }, 'Temporal server started');
  return {
    address,
    // The server has no Web UI of its own (the compose stack runs temporalio/ui beside it).
    uiUrl: '',
    stop,
    async restart() {
      await launch();
      await waitForTemporal(address, namespace, 60_000);
    },
  };
}
