/**
 * A test file's workers and API in topology mode (`npm run test:topology`): the split docs/production.md recommends
 * and docker-compose.yml deploys, each part a production entry point in a process of its own, started with the test
 * file's configuration (its database, task queues, simulators and tokens). test/harness.ts chooses between this and
 * workers in its own process.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../../src/config.js';
import { freePort } from '../../src/dev/ports.js';
import { applySchedules, declaredSchedules } from '../../src/schedules.js';
import { compiledEntryPoint, entryPointOf, startEntryPoint, type EntryPointProcess } from '../entry-points.js';

/** The compiled entry point of a script when the run built them (`npm run test:topology` does), as the image runs. */
const compiled = (script: 'worker' | 'api') => {
  const build = process.env.OPSFLOW_TEST_BUILD;
  return build ? compiledEntryPoint(entryPointOf(script), build) : undefined;
};

/** Worker processes by the queue each polls (OPSFLOW_WORKER_QUEUES): the split as deployed. */
export const DEPLOYED_WORKERS: ReadonlyArray<{ queue: keyof Config['taskQueues']; replicas: number }> = [
  { queue: 'main', replicas: 2 },
  { queue: 'highlevel', replicas: 1 },
  { queue: 'zoho', replicas: 1 },
];

/** A worker process of the deployment and the queue it polls. */
export interface DeployedWorker extends EntryPointProcess {
  queue: keyof Config['taskQueues'];
}

export interface Deployment {
  /** The worker processes now running, in `DEPLOYED_WORKERS` order (none before `startWorkers`). */
  workers(): DeployedWorker[];
  startWorkers(): Promise<void>;
  /** Stops every worker process with SIGTERM (they drain, with the file's OPSFLOW_SHUTDOWN_GRACE). */
  stopWorkers(): Promise<void>;
  /** The API process's base URL, when one was started. */
  apiUrl?: string;
  stop(): Promise<void>;
}

/**
 * Starts the API process (with `api`) and the worker processes (with `workers`), all at once.
 *
 * The worker entry point applies the declared schedules where workflows run, as production needs; a test file's
 * workers in its own process never did, and the suites expect none (the schedules test creates them itself, and a
 * schedule firing mid-test would start runs no test asked for: a monitor probing the file's simulators). So the
 * file's schedules are created paused before its workers start (applying them again keeps an operator's pause, so
 * none fires) and deleted once they are up.
 *
 * @example
 * const deployment = await startDeployment({ vars, config, client, api: true, workers: true });
 */
export async function startDeployment(options: {
  /** The variables the file's configuration was read from. */
  vars: Record<string, string>;
  config: Config;
  client: Client;
  workflowBundlePath: string;
  api: boolean;
  workers: boolean;
}): Promise<Deployment> {
  const { vars, config, client } = options;
  let workers: DeployedWorker[] = [];
  const startWorker = async (queue: DeployedWorker['queue']): Promise<DeployedWorker> => {
    const worker = await startEntryPoint({
      script: 'worker',
      file: compiled('worker'),
      name: `worker ${queue}`,
      vars: {
        ...vars,
        OPSFLOW_WORKER_QUEUES: queue,
        OPSFLOW_WORKFLOW_BUNDLE: options.workflowBundlePath,
        // Each process serves its SDK metrics on a port of its own (demo mode would bind them all to 9464).
        OPSFLOW_SDK_METRICS_BIND: `127.0.0.1:${await freePort()}`,
      },
      ready: 'worker started',
    });
    return Object.assign(worker, { queue });
  };
  const stopAll = (processes: EntryPointProcess[]) => Promise.allSettled(processes.map((p) => p.stop()));
  const schedules = () => declaredSchedules(config).map((s) => client.schedule.getHandle(s.id));
  const pauseSchedules = async () => {
    await applySchedules(client, config);
    await Promise.all(schedules().map((s) => s.pause('a test file: its workers apply the schedules, none may fire')));
  };
  const deleteSchedules = () => Promise.all(schedules().map((s) => s.delete().catch(() => undefined)));
  const startWorkers = async () => {
    await pauseSchedules();
    const starting = DEPLOYED_WORKERS.flatMap(({ queue, replicas }) =>
      Array.from({ length: replicas }, () => startWorker(queue)),
    );
    const settled = await Promise.allSettled(starting);
    await deleteSchedules();
    workers = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await stopAll(workers);
      workers = [];
      throw failed.reason;
    }
  };
  const stopWorkers = async () => {
    await stopAll(workers);
    workers = [];
  };

  const apiPort = await freePort();
  const [api, started] = await Promise.allSettled([
    options.api
      ? startEntryPoint({
          script: 'api',
          file: compiled('api'),
          name: 'api',
          // The links it renders point where the workers' point, as in one process (config.api.publicUrl).
          vars: {
            ...vars,
            OPSFLOW_HOST: '127.0.0.1',
            OPSFLOW_PORT: String(apiPort),
            OPSFLOW_PUBLIC_URL: config.api.publicUrl,
          },
          ready: 'API listening',
        })
      : undefined,
    options.workers ? startWorkers() : undefined,
  ]);
  if (api.status === 'rejected' || started.status === 'rejected') {
    if (api.status === 'fulfilled') await api.value?.stop();
    await stopWorkers();
    throw api.status === 'rejected' ? api.reason : (started as PromiseRejectedResult).reason;
  }
  return {
    workers: () => workers,
    startWorkers,
    stopWorkers,
    apiUrl: api.value ? `http://127.0.0.1:${apiPort}` : undefined,
    async stop() {
      await api.value?.stop();
      await stopWorkers();
    },
  };
}
