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
import { payloadCodecsFor } from './temporal/codec.js';
import { activityLogContext } from './temporal/log-context.js';

/** Source of the workflow code: the TypeScript sources (bundled at start) or a prebuilt bundle. */
export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

export interface WorkerSetup {
  config: Config;
  connection: NativeConnection;
  deps: ActivityDeps;
  /** A bundle made by `bundleWorkflowCode`; else `config.workflowBundle`; else bundled from source at start. */
  workflowBundle?: { codePath: string };
}

let runtimeInstalled = false;

/**
 * Routes the Temporal SDK's own logs (workflow logs included, with their workflow context) into the process logger,
 * and serves the SDK's Prometheus metrics at `metricsBind` when given; once per process.
 */
export function installRuntimeLogger(log: Logger, level: Config['logLevel'], metricsBind?: string): void {
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
      ...(metricsBind ? { metrics: { prometheus: { bindAddress: metricsBind } } } : {}),
    },
  });
}

/**
 * HighLevel allows 100 requests per 10 s per location (10/s). The `highlevel` queue is limited server-side to 80 %
 * of that across all workers, so retries and the vendor's own clock skew never push a location over its burst.
 */
export const HIGHLEVEL_ACTIVITIES_PER_SECOND = 0.8 * (100 / 10);

/**
 * ZOHO allows 150 requests per minute per organization (2.5/s). The `zoho` queue is limited server-side to 80 % of
 * that (120/min = 2/s) across all workers; one ZOHO activity makes about one call, and the margin absorbs the
 * token refresh and retries, so backfills run at the budget without 429s.
 */
export const ZOHO_ACTIVITIES_PER_SECOND = (0.8 * 150) / 60;

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
  const bundle = setup.workflowBundle ?? (config.workflowBundle ? { codePath: config.workflowBundle } : undefined);
  const workflows = bundle ? { workflowBundle: bundle } : { workflowsPath: WORKFLOWS_PATH };
  const shared = {
    connection,
    namespace: config.temporal.namespace,
    activities,
    // The codec runs here, outside the workflow sandbox: the bundle carries no codec code.
    dataConverter: { payloadCodecs: payloadCodecsFor(config) },
    interceptors: { activity: [activityLogContext] },
  };
  const main = await Worker.create({ ...shared, taskQueue: config.taskQueues.main, ...workflows });
  const highlevel = await Worker.create({
    ...shared,
    taskQueue: config.taskQueues.highlevel,
    maxTaskQueueActivitiesPerSecond: HIGHLEVEL_ACTIVITIES_PER_SECOND,
  });
  const zoho = await Worker.create({
    ...shared,
    taskQueue: config.taskQueues.zoho,
    maxTaskQueueActivitiesPerSecond: ZOHO_ACTIVITIES_PER_SECOND,
  });
  return [main, highlevel, zoho];
}
