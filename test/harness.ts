/**
 * What test files share: the stack started once by `test/run.ts`, and a per-file environment with its own
 * database (cloned from the migrated template), its own task queues, real workers and optionally the API.
 *
 * Where the workers and the API run is decided in one place, `startRunners`: in this process on the dev server
 * (`npm test`); on the production Temporal server (`npm run test:topology`) as the deployed processes, the production
 * entry points started with the file's configuration (test/topology/deployment.ts). Tests see the same `TestEnv`.
 */
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createApp } from '../src/api/app.js';
import { close, listen } from '../src/api/server.js';
import { loadConfig, type Config } from '../src/config.js';
import type { Pool } from '../src/db/pool.js';
import { ensureDatabase } from '../src/dev/postgres.js';
import { createLogger, type Logger } from '../src/logger.js';
import { startHighLevelSimulator, type HighLevelSimulator, type Limits } from '../src/simulators/highlevel/index.js';
import { startSmsSimulator } from '../src/simulators/sms/index.js';
import { startZohoSimulator, type ZohoSimLimits, type ZohoSimulator } from '../src/simulators/zoho/index.js';
import type { ZohoClient } from '../src/integrations/zoho/client.js';
import { activityDepsFor, openServices } from '../src/composition.js';
import { createWorkers, installRuntimeLogger, type WorkerSetup } from '../src/worker.js';
import { startDeployment, type DeployedWorker } from './topology/deployment.js';

export interface TestStack {
  adminUrl: string;
  templateDatabase: string;
  temporalAddress: string;
  temporalUiPort: number;
  smtpUrl: string;
  mailboxUrl: string;
  workflowBundlePath: string;
  runDir: string;
  /** The production Temporal server on PostgreSQL (`npm run test:topology`): workers and API run as processes. */
  topology: boolean;
}

/** The shared stack of this test run. */
export function testStack(): TestStack {
  const file = process.env.OPSFLOW_TEST_STACK;
  if (!file) throw new Error('Run tests through `npm test` (test/run.ts), which starts the shared stack');
  return JSON.parse(readFileSync(file, 'utf8')) as TestStack;
}

/** A fresh, migrated database of its own, cloned from the template. */
export async function createTestDatabase(): Promise<string> {
  const stack = testStack();
  const name = `t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  await ensureDatabase(stack.adminUrl, name, stack.templateDatabase);
  return stack.adminUrl.replace(/\/postgres$/, `/${name}`);
}

export interface ApiHandle {
  url: string;
  operatorToken: string;
  viewerToken: string;
  /** Calls the API with the operator token unless another is given; parses JSON answers. */
  request<T = unknown>(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string | null; headers?: Record<string, string> },
  ): Promise<{ status: number; body: T; headers: Headers }>;
}

/**
 * A test file's workers, wherever they run: in this process, or (topology mode) the deployed worker processes.
 * Stopping and starting them again is what a test of a lost worker does; a stop drains with the file's
 * OPSFLOW_SHUTDOWN_GRACE (none by default: in-flight activities are cancelled, and Temporal retries them).
 */
export interface TestWorkers {
  /** True while every worker runs: none stopped, failed or (as a process) exited. */
  running(): boolean;
  stop(): Promise<void>;
  /** Starts them (again) on the file's queues; `startTestEnv({ workers: false })` leaves them to this. */
  start(): Promise<void>;
  /** Topology mode: the worker processes now running, each with the queue it polls; empty in-process. */
  processes(): DeployedWorker[];
}

export interface TestEnv {
  config: Config;
  databaseUrl: string;
  pool: Pool;
  client: Client;
  log: Logger;
  workers: TestWorkers;
  api?: ApiHandle;
  highlevelSimulator?: HighLevelSimulator;
  /** The ZOHO client the workers use (pointed at `zohoSimulator` when one was asked for). */
  zoho: ZohoClient;
  zohoSimulator?: ZohoSimulator;
  stop(): Promise<void>;
}

/** A simulator option's limits: `true` starts one with its defaults. */
const limitsOf = <L>(option: boolean | { limits?: L } | undefined): L | undefined =>
  typeof option === 'object' ? option.limits : undefined;

/**
 * Starts an environment for one test file: its own database and task queues, real workers on the shared Temporal
 * server, and (with `api: true`) the HTTP API on a free port.
 *
 * @example
 * const env = await startTestEnv({ api: true });
 * after(() => env.stop());
 */
export async function startTestEnv(
  options: {
    api?: boolean;
    workers?: boolean;
    env?: Record<string, string>;
    /** A private HighLevel simulator on a free port, with config pointed at it (demo mode stays on). */
    highlevelSimulator?: boolean | { limits?: Partial<Limits> };
    /** A private ZOHO simulator on a free port, with ZOHO_API_BASE_URL / ZOHO_ACCOUNTS_URL pointed at it. */
    zohoSimulator?: boolean | { limits?: Partial<ZohoSimLimits> };
    /**
     * The logger for workers, activities and the API (tests that read log output pass a capturing one). In topology
     * mode the workers and the API are processes with logs of their own: a test reading them runs on the dev server.
     */
    log?: Logger;
    /** An existing database to run on (a restored backup) instead of a fresh clone of the template. */
    databaseUrl?: string;
  } = {},
): Promise<TestEnv> {
  const stack = testStack();
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
  const simLog = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn');
  const highlevelSimulator = options.highlevelSimulator
    ? await startHighLevelSimulator({ port: 0, log: simLog, limits: limitsOf(options.highlevelSimulator) })
    : undefined;
  const zohoSimulator = options.zohoSimulator
    ? await startZohoSimulator({ port: 0, log: simLog, limits: limitsOf(options.zohoSimulator) })
    : undefined;
  // The SMS API the escalation texts go to (demo mode's simulator), so the monitor's channel probe finds it.
  const sms = await startSmsSimulator({ port: 0, log: simLog });
  const vars: Record<string, string> = {
    TEMPORAL_ADDRESS: stack.temporalAddress,
    DATABASE_URL: databaseUrl,
    SMTP_URL: stack.smtpUrl,
    OPSFLOW_TASK_QUEUE_PREFIX: `t-${randomUUID().slice(0, 8)}-`,
    OPSFLOW_API_TOKEN: `operator-${randomUUID()}`,
    OPSFLOW_VIEWER_TOKENS: `viewer-${randomUUID()}`,
    OPSFLOW_PORT: '3000',
    OPSFLOW_DATA_DIR: stack.runDir,
    ...(highlevelSimulator ? { HIGHLEVEL_BASE_URL: highlevelSimulator.url } : {}),
    ...(zohoSimulator ? { ZOHO_API_BASE_URL: zohoSimulator.apiBaseUrl, ZOHO_ACCOUNTS_URL: zohoSimulator.url } : {}),
    SMS_API_URL: sms.url,
    // Tests are not paced by the organization's ZOHO call budget unless they test it (and set it lower).
    ZOHO_CALLS_PER_MINUTE: '600000',
    // A test file's end cancels what is still in flight at once, as the workers did before stops had a grace.
    OPSFLOW_SHUTDOWN_GRACE: '0s',
    ...options.env,
  };
  const config = loadConfig(vars);
  if (stack.topology && options.log && (options.api || options.workers !== false)) {
    throw new Error('A capturing logger sees only this process: in topology mode the workers and the API are not here');
  }
  const log = options.log ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'warn');
  installRuntimeLogger(log, 'warn');
  const services = await openServices(config, databaseUrl, log);
  const deps = activityDepsFor(config, services, log);
  const { zoho } = deps;
  // What this process opened, released at the end, or at once when the workers or the API fail to start (a test
  // process holding them open would never end).
  const release = async () => {
    await services.close();
    await highlevelSimulator?.stop();
    await zohoSimulator?.stop();
    await sms.stop();
  };
  const runners = await startRunners(stack, {
    vars,
    setup: { config, connection: services.workerConnection, deps },
    client: services.client,
    pool: services.pool,
    log,
    api: options.api ?? false,
    workers: options.workers !== false,
  }).catch(async (err: unknown) => {
    await release();
    throw err;
  });
  const { workers, api } = runners;

  return {
    config,
    databaseUrl,
    pool: services.pool,
    client: services.client,
    log,
    workers,
    api,
    highlevelSimulator,
    zoho,
    zohoSimulator,
    async stop() {
      await runners.stop();
      await release();
    },
  };
}

interface Runners {
  workers: TestWorkers;
  api?: ApiHandle;
  /** Stops the API, then the workers. */
  stop(): Promise<void>;
}

interface RunnerOptions {
  /** The variables the file's configuration was read from (`setup.config`). */
  vars: Record<string, string>;
  setup: Omit<WorkerSetup, 'workflowBundle'>;
  client: Client;
  pool: Pool;
  log: Logger;
  api: boolean;
  workers: boolean;
}

/**
 * The one place that decides where a test file's workers and API run: the deployed processes on the production
 * server (topology mode), else this process.
 */
function startRunners(stack: TestStack, options: RunnerOptions): Promise<Runners> {
  return stack.topology ? startProcesses(stack, options) : startInProcess(stack, options);
}

/** Workers and the API in this process: what the dev-server suites run. */
async function startInProcess(stack: TestStack, options: RunnerOptions): Promise<Runners> {
  const { config } = options.setup;
  let workers: Worker[] = [];
  let running: Array<Promise<void>> = [];
  const testWorkers: TestWorkers = {
    running: () => workers.length > 0 && workers.every((w) => w.getState() === 'RUNNING'),
    async stop() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.allSettled(running);
    },
    async start() {
      workers = await createWorkers({ ...options.setup, workflowBundle: { codePath: stack.workflowBundlePath } });
      running = workers.map((w) => w.run());
    },
    processes: () => [],
  };
  if (options.workers) await testWorkers.start();
  let server: Awaited<ReturnType<typeof listen>> | undefined;
  if (options.api) {
    const tokens = { operator: config.api.operatorTokens, viewer: config.api.viewerTokens };
    const app = createApp({ config, client: options.client, pool: options.pool, log: options.log, tokens });
    server = await listen(app, { host: '127.0.0.1', port: 0 }).catch(async (err: unknown) => {
      await testWorkers.stop();
      throw err;
    });
  }
  return {
    workers: testWorkers,
    api: server ? apiHandle(server.url, config) : undefined,
    async stop() {
      if (server) await close(server);
      await testWorkers.stop();
    },
  };
}

/** Topology mode: the deployed worker processes and the API process, started with the file's configuration. */
async function startProcesses(stack: TestStack, options: RunnerOptions): Promise<Runners> {
  const { config } = options.setup;
  const deployment = await startDeployment({
    vars: options.vars,
    config,
    client: options.client,
    workflowBundlePath: stack.workflowBundlePath,
    api: options.api,
    workers: options.workers,
  });
  const processes = () => deployment.workers();
  return {
    workers: {
      running: () => processes().length > 0 && processes().every((p) => p.alive()),
      stop: () => deployment.stopWorkers(),
      start: () => deployment.startWorkers(),
      processes,
    },
    api: deployment.apiUrl ? apiHandle(deployment.apiUrl, config) : undefined,
    stop: () => deployment.stop(),
  };
}

function apiHandle(url: string, config: Config): ApiHandle {
  const operatorToken = config.api.operatorTokens[0]!;
  const viewerToken = config.api.viewerTokens[0]!;
  return {
    url,
    operatorToken,
    viewerToken,
    async request(method, path, options = {}) {
      const token = options.token === undefined ? operatorToken : options.token;
      const headers: Record<string, string> = { ...options.headers };
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: string | undefined;
      if (options.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      }
      // Redirects are answers to check (the OAuth install), not to follow into another server.
      const res = await fetch(`${url}${path}`, { method, headers, body, redirect: 'manual' });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed as never, headers: res.headers };
    },
  };
}

/** Polls `check` until it returns a value that is not undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
