import {
  type NativeConnection,
  Runtime,
  Worker,
  makeTelemetryFilterString,
  type LogLevel,
  type LogMetadata,
} from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities/index.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { packagePath } from './paths.js';
import type { Shutdown } from './shutdown.js';
import { payloadCodecsFor } from './temporal/codec.js';
import { activityLogContext } from './temporal/log-context.js';

/**
 * The workflow sources, bundled at start when no prebuilt bundle is given: the TypeScript files, also when the worker
 * runs compiled (the image sets `OPSFLOW_WORKFLOW_BUNDLE` and ships no sources).
 */
export const WORKFLOWS_PATH = packagePath('src', 'workflows', 'index.ts');

export interface WorkerSetup {
  config: Config;
  connection: NativeConnection;
  deps: ActivityDeps;
  /** A bundle made by `bundleWorkflowCode`; else `config.workflowBundle`; else bundled from source at start. */
  workflowBundle?: { codePath: string };
}

let runtimeInstalled = false;

/**
 * Workflows kept in the worker's sticky cache. The SDK's default scales with the heap limit (about 2,300 on a 4 GB
 * heap), so an alert storm of open incidents, each waiting hours on a timer, kept thousands of them in memory and
 * grew the worker by hundreds of megabytes. Beyond this many, the least recent is evicted and replayed from its
 * history at its next task: an incident's history is a few dozen events, replayed in milliseconds
 * (docs/benchmarks.md).
 */
const CACHED_WORKFLOWS = 250;

/**
 * Activities the main worker runs at once: fewer than its database pool's 10 connections. A notification holds a
 * connection while it sends (the outbox's row lock), and the incident's database steps run as local activities
 * inside workflow tasks: with every connection taken by sends, those tasks waited seconds for one while holding
 * their slots, and escalations queued behind them (docs/benchmarks.md).
 */
const MAIN_ACTIVITY_SLOTS = 8;

/**
 * SDK messages that are expected at every start (the vendor queues run activities only; the bundler's statistics)
 * and say nothing an operator can act on: logged at debug, so a warning in the terminal means something.
 */
const ROUTINE_SDK_MESSAGES = /^(No workflows registered|No Nexus services registered|asset workflow-bundle-)/;

/**
 * Routes the Temporal SDK's own logs (workflow logs included, with their workflow context) into the process logger,
 * and serves the SDK's Prometheus metrics at `metricsBind` when given; once per process.
 */
export function installRuntimeLogger(log: Logger, level: Config['logLevel'], metricsBind?: string): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const sdkLog = log.child({ component: 'temporal-sdk' });
  const forward = (lvl: LogLevel, message: string, meta?: LogMetadata) => {
    const method = ROUTINE_SDK_MESSAGES.test(message)
      ? 'debug'
      : lvl === 'TRACE'
        ? 'trace'
        : (lvl.toLowerCase() as 'debug' | 'info' | 'warn' | 'error');
    sdkLog[method](meta ?? {}, message);
  };
  Runtime.install({
    // The entry points stop in order themselves (src/shutdown.ts): API first, then the workers, then the servers.
    shutdownSignals: [],
    logger: {
      log: forward,
      trace: (m, meta) => forward('TRACE', m, meta),
      debug: (m, meta) => forward('DEBUG', m, meta),
      info: (m, meta) => forward('INFO', m, meta),
      warn: (m, meta) => forward('WARN', m, meta),
      error: (m, meta) => forward('ERROR', m, meta),
    },
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: level === 'debug' ? 'INFO' : 'WARN' }), forward: {} },
      ...(metricsBind ? { metrics: { prometheus: { bindAddress: metricsBind } } } : {}),
    },
  });
}

/**
 * Creates Opsflow's workers for the queues in `config.workerQueues`: the main queue runs every workflow and the
 * general activities; `highlevel` and `zoho` run the vendors' calls.
 *
 * @example
 * const workers = await createWorkers({ config, connection, deps });
 * await Promise.all(workers.map((w) => w.run()));
 */
export async function createWorkers(setup: WorkerSetup): Promise<Worker[]> {
  const { config, connection, deps } = setup;
  const activities = createActivities(deps);
  const bundle = setup.workflowBundle ?? (config.workflowBundle ? { codePath: config.workflowBundle } : undefined);
  const workflows = bundle ? { workflowBundle: bundle } : { workflowsPath: WORKFLOWS_PATH };
  const shared = {
    connection,
    namespace: config.temporal.namespace,
    activities,
    // The codec runs here, outside the workflow sandbox: the bundle carries no codec code.
    dataConverter: { payloadCodecs: payloadCodecsFor(config) },
    interceptors: { activity: [activityLogContext] },
    // A stop waits this long for in-flight activities, then cancels them (Temporal retries them on another worker).
    // No force time: the worker then waits for the cancelled activities to let go, so nothing runs on after the
    // connections close; the process's own stop deadline (src/shutdown.ts) bounds a stop that still hangs.
    shutdownGraceTime: config.shutdownGraceMs,
  };
  const create: Record<keyof Config['taskQueues'], () => Promise<Worker>> = {
    main: () =>
      Worker.create({
        ...shared,
        taskQueue: config.taskQueues.main,
        ...workflows,
        maxCachedWorkflows: CACHED_WORKFLOWS,
        maxConcurrentActivityTaskExecutions: MAIN_ACTIVITY_SLOTS,
      }),
    highlevel: () =>
      Worker.create({
        ...shared,
        taskQueue: config.taskQueues.highlevel,
        // Server-side, so all workers together stay at 80 % of HighLevel's per-location burst (one call per activity).
        maxTaskQueueActivitiesPerSecond: config.queueLimits.highlevel,
      }),
    zoho: () =>
      Worker.create({
        ...shared,
        taskQueue: config.taskQueues.zoho,
        // A backfill page makes many calls per activity: ZOHO calls are bounded by the organization's call budget
        // in the client (src/integrations/call-budget.ts); this only spreads activity starts.
        maxTaskQueueActivitiesPerSecond: config.queueLimits.zoho,
      }),
  };
  // A deployment may run each queue in processes of its own (OPSFLOW_WORKER_QUEUES); by default one runs all three.
  const workers: Worker[] = [];
  for (const queue of config.workerQueues) workers.push(await create[queue]());
  return workers;
}

/**
 * Runs the workers for the life of the process: a stop drains them (see `createWorkers` for the grace), and if they
 * end on their own (a lost server, a fatal error) the rest of the process is stopped in order and exits non-zero.
 *
 * @example
 * superviseWorkers(await createWorkers({ config, connection, deps }), shutdown, log);
 */
export function superviseWorkers(workers: Worker[], shutdown: Shutdown, log: Logger): void {
  const running = Promise.all(workers.map((w) => w.run()));
  shutdown.add('workers', async () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await running;
  });
  running.then(
    () => (shutdown.stopping ? undefined : shutdown.stop('the workers stopped', 1)),
    (err: unknown) => {
      if (shutdown.stopping) return;
      log.error({ err }, 'a worker failed');
      return shutdown.stop('a worker failed', 1);
    },
  );
}
