import {
  type NativeConnection,
  Runtime,
  Worker,
  makeTelemetryFilterString,
  type LogLevel,
  type LogMetadata,
} from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities, type ActivityDeps } from './activities/index.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

/** Source of the workflow code: the TypeScript sources (bundled at start) or a prebuilt bundle. */
export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

export interface WorkerSetup {
  config: Config;
  connection: NativeConnection;
  deps: ActivityDeps;
  /** A bundle made by `bundleWorkflowCode`; without it the workflows are bundled from source. */
  workflowBundle?: { codePath: string };
}

let runtimeInstalled = false;

/** Routes the Temporal SDK's own logs into the process logger, once per process. */
export function installRuntimeLogger(log: Logger, level: Config['logLevel']): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const sdkLog = log.child({ component: 'temporal-sdk' });
  const forward = (lvl: LogLevel, message: string, meta?: LogMetadata) => {
    const method = lvl === 'TRACE' ? 'trace' : (lvl.toLowerCase() as 'debug' | 'info' | 'warn' | 'error');
    sdkLog[method](meta ?? {}, message);
  };
  Runtime.install({
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
    },
  });
}

/**
 * HighLevel allows 100 requests per 10 s per location (10/s). The `highlevel` queue is limited server-side to 80 %
 * of that across all workers, so retries and the vendor's own clock skew never push a location over its burst.
 */
export const HIGHLEVEL_ACTIVITIES_PER_SECOND = 0.8 * (100 / 10);

/**
 * Creates Opsflow's workers: the main queue runs every workflow and the general activities.
 *
 * @example
 * const workers = await createWorkers({ config, connection, deps });
 * await Promise.all(workers.map((w) => w.run()));
 */
export async function createWorkers(setup: WorkerSetup): Promise<Worker[]> {
  const { config, connection, deps } = setup;
  const activities = createActivities(deps);
  const workflows = setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : { workflowsPath: WORKFLOWS_PATH };
  const main = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.taskQueues.main,
    activities,
    ...workflows,
  });
  const highlevel = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.taskQueues.highlevel,
    activities,
    maxTaskQueueActivitiesPerSecond: HIGHLEVEL_ACTIVITIES_PER_SECOND,
  });
  return [main, highlevel];
}
