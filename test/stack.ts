/**
 * The private stack every test and bench process builds on: embedded PostgreSQL with a migrated template database,
 * a Temporal dev server, an SMTP capture server (all on free ports) and a workflow bundle, described in a
 * `stack.json` that test/harness.ts reads (`OPSFLOW_TEST_STACK`). test/run.ts starts one for the whole test run;
 * the benchmarks, the replay recorder and the fault tests (which restart its servers) start their own.
 *
 * In topology mode (`npm run test:topology`, which sets OPSFLOW_TEST_TOPOLOGY=1 for every process of the run) the
 * Temporal part is the production server on a PostgreSQL of its own (src/dev/temporal-server.ts) instead of the dev
 * server, and `stack.json` says so (`topology`): test files then run their workers and API as the deployed processes
 * (test/topology/deployment.ts).
 */
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { prepareBackupTools } from '../src/backups/backup.js';
import { migrate } from '../src/db/migrate.js';
import { startMailCapture, type MailCapture } from '../src/dev/mail-capture.js';
import { freePort } from '../src/dev/ports.js';
import {
  ensureDatabase,
  removeEmbeddedPostgres,
  startEmbeddedPostgres,
  type EmbeddedDatabase,
} from '../src/dev/postgres.js';
import { startParts } from '../src/dev/stack.js';
import { startTemporalDevServer, type DevServer } from '../src/dev/temporal.js';
import { startTemporalServer, type TemporalServer } from '../src/dev/temporal-server.js';
import { createLogger } from '../src/logger.js';
import { WORKFLOWS_PATH } from '../src/worker.js';
import type { TestStack } from './harness.js';

const ROOT = new URL('..', import.meta.url).pathname;
const TEMPLATE_DB = 'opsflow_template';

export interface PrivateStackOptions {
  /** Directory for the servers' data and the bundle; removed on stop. Default `.data/<name>-<pid>`. */
  dir?: string;
  name?: string;
  /** Keep the dev server's state in a file, so `temporal.stop()` then `temporal.start()` resumes every workflow. */
  persistTemporal?: boolean;
  /** Use this workflow bundle instead of building one (the fault tests reuse the test run's). */
  workflowBundlePath?: string;
  /** Point `OPSFLOW_TEST_STACK` at this stack in this process until it stops (then restore the previous value). */
  activate?: boolean;
  /** The production Temporal server on PostgreSQL instead of the dev server; default OPSFLOW_TEST_TOPOLOGY=1. */
  topology?: boolean;
}

/** A server of the stack that a fault test can stop and start again, on the same port with the same data. */
export interface Restartable {
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface PrivateStack {
  stack: TestStack;
  /** The `stack.json` describing it, for `OPSFLOW_TEST_STACK`. */
  stackFile: string;
  temporal: Restartable;
  postgres: Restartable;
  /** Topology mode: the PostgreSQL that holds Temporal's history and visibility. */
  temporalPostgres?: Restartable;
  stop(): Promise<void>;
}

/**
 * Starts the stack (PostgreSQL, Temporal and the mail capture at once, then the template migration and the bundle).
 *
 * @example
 * const stack = await startPrivateStack({ persistTemporal: true, activate: true });
 * const env = await startTestEnv(); // on the private stack
 * await stack.temporal.stop(); await stack.temporal.start();
 */
export async function startPrivateStack(options: PrivateStackOptions = {}): Promise<PrivateStack> {
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn');
  const config = loadConfig({});
  const dir = options.dir ?? join(ROOT, '.data', `${options.name ?? 'stack'}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const topology = options.topology ?? process.env.OPSFLOW_TEST_TOPOLOGY === '1';
  const [pgPort, temporalPort, uiPort, smtpPort, mailboxPort, temporalPgPort] = await Promise.all(
    Array.from({ length: 6 }, () => freePort()),
  );
  const startDb = () => startEmbeddedPostgres({ dir: join(dir, 'postgres'), port: pgPort!, log });
  const startTemporalDb = () =>
    startEmbeddedPostgres({ dir: join(dir, 'temporal-postgres'), port: temporalPgPort!, database: 'temporal', log });
  // Topology mode: the server and its PostgreSQL, started together; a restart reuses the schemas and ports.
  let temporalDb: EmbeddedDatabase | undefined;
  let server: TemporalServer | undefined;
  const startServer = async (): Promise<DevServer> => {
    temporalDb = await startTemporalDb();
    const { username, password } = new URL(temporalDb.adminUrl);
    server = await startTemporalServer({
      cacheDir: config.cacheDir,
      cliPath: config.temporal.cliPath,
      postgres: { host: '127.0.0.1', port: temporalPgPort!, user: username, password },
      port: temporalPort!,
      namespace: 'default',
      log,
    });
    return server;
  };
  const startTemporal = (): Promise<DevServer> =>
    topology
      ? startServer()
      : startTemporalDevServer({
          cliPath: config.temporal.cliPath,
          cacheDir: config.cacheDir,
          dbFile: options.persistTemporal ? join(dir, 'temporal.db') : undefined,
          port: temporalPort!,
          uiPort: uiPort!,
          namespace: 'default',
          log,
        });
  // Current handles, replaced by a restart; stopped in reverse order at the end.
  let db: EmbeddedDatabase | undefined;
  let temporal: DevServer | undefined;
  let mail: MailCapture | undefined;
  const previous = process.env.OPSFLOW_TEST_STACK;
  const stop = async () => {
    if (options.activate) restoreEnv(previous);
    await Promise.allSettled([temporal?.stop(), mail?.stop()]);
    await Promise.allSettled([db?.stop(), temporalDb?.stop()]);
    removeEmbeddedPostgres(join(dir, 'postgres'));
    removeEmbeddedPostgres(join(dir, 'temporal-postgres'));
    rmSync(dir, { recursive: true, force: true });
  };
  const started: Array<() => Promise<void>> = [];
  try {
    [db, temporal, mail] = await startParts<[EmbeddedDatabase, DevServer, MailCapture]>(
      [startDb(), startTemporal(), startMailCapture({ smtpPort: smtpPort!, httpPort: mailboxPort!, log })],
      (stopPart) => started.push(stopPart),
    );
    await ensureDatabase(db.adminUrl, TEMPLATE_DB);
    await migrate(db.adminUrl.replace(/\/postgres$/, `/${TEMPLATE_DB}`));
    // Backups tests need pg_dump of the server's major version: fetched once into the cache, not mid-test.
    await prepareBackupTools(db.adminUrl, { cacheDir: config.cacheDir, log });
    let workflowBundlePath = options.workflowBundlePath;
    if (!workflowBundlePath) {
      const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
      workflowBundlePath = join(dir, 'workflow-bundle.js');
      writeFileSync(workflowBundlePath, code);
    }
    const stack: TestStack = {
      adminUrl: db.adminUrl,
      templateDatabase: TEMPLATE_DB,
      temporalAddress: temporal.address,
      temporalUiPort: uiPort!,
      smtpUrl: mail.smtpUrl,
      mailboxUrl: mail.mailboxUrl,
      workflowBundlePath,
      runDir: dir,
      topology,
    };
    const stackFile = join(dir, 'stack.json');
    writeFileSync(stackFile, JSON.stringify(stack));
    if (options.activate) process.env.OPSFLOW_TEST_STACK = stackFile;
    return {
      stack,
      stackFile,
      temporal: restartable(
        () => temporal?.stop(),
        async () => void (server ? await server.restart() : (temporal = await startTemporal())),
      ),
      postgres: restartable(
        () => db?.stop(),
        async () => void (db = await startDb()),
      ),
      temporalPostgres: topology
        ? restartable(
            () => temporalDb?.stop(),
            async () => void (temporalDb = await startTemporalDb()),
          )
        : undefined,
      stop,
    };
  } catch (err) {
    for (const stopPart of started.reverse()) await stopPart().catch(() => undefined);
    await temporalDb?.stop();
    removeEmbeddedPostgres(join(dir, 'postgres'));
    removeEmbeddedPostgres(join(dir, 'temporal-postgres'));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The stack for a script that may run alone or under one that already started a stack (bench/run.ts): starts and
 * activates a private one unless `OPSFLOW_TEST_STACK` is set; answers how to stop what it started.
 *
 * @example
 * const stopStack = await ensurePrivateStack('bench-backfill');
 */
export async function ensurePrivateStack(name: string): Promise<() => Promise<void>> {
  if (process.env.OPSFLOW_TEST_STACK) return async () => undefined;
  const { stop } = await startPrivateStack({ name, activate: true });
  return stop;
}

function restartable(stop: () => Promise<void> | undefined, start: () => Promise<void>): Restartable {
  let running = true;
  return {
    async stop() {
      running = false;
      await stop();
    },
    async start() {
      if (running) throw new Error('stop the server before starting it again');
      await start();
      running = true;
    },
  };
}

function restoreEnv(value: string | undefined): void {
  if (value === undefined) delete process.env.OPSFLOW_TEST_STACK;
  else process.env.OPSFLOW_TEST_STACK = value;
}

/**
 * A private stack for a test file that stops and restarts servers (test/reliability): Temporal keeps its state in a
 * file, `OPSFLOW_TEST_STACK` points at it in this process, and the test run's workflow bundle is reused.
 *
 * @example
 * const stack = await startFaultStack('fault-postgres');
 * after(() => stack.stop());
 */
export function startFaultStack(name: string): Promise<PrivateStack> {
  const run = process.env.OPSFLOW_TEST_STACK;
  const bundle = run ? (JSON.parse(readFileSync(run, 'utf8')) as TestStack).workflowBundlePath : undefined;
  return startPrivateStack({ name, persistTemporal: true, activate: true, workflowBundlePath: bundle });
}
