/**
 * The worker process for production: connects to the configured Temporal cluster and PostgreSQL (no embedded
 * stack), applies pending migrations, and runs the workers until SIGINT, SIGTERM or SIGHUP drains them (in-flight
 * activities get OPSFLOW_SHUTDOWN_GRACE, then are cancelled and left for Temporal to retry).
 */
import { loadConfigOrExit } from '../config.js';
import { migrate } from '../db/migrate.js';
import { createLogger } from '../logger.js';
import { applySchedules } from '../schedules.js';
import { activityDepsFor, openServices } from '../composition.js';
import { createShutdown } from '../shutdown.js';
import { createWorkers, installRuntimeLogger, superviseWorkers } from '../worker.js';

async function run(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config.logLevel, config.logFormat).child({ component: 'worker' });
  if (!config.database.url || config.temporal.embedded) {
    throw new Error(
      'The worker process needs DATABASE_URL and TEMPORAL_ADDRESS (use `npm start` for the embedded stack)',
    );
  }
  const shutdown = createShutdown(log, config.shutdownGraceMs + 60_000);
  installRuntimeLogger(log, config.logLevel, config.metrics.sdkBind);
  await migrate(config.database.url, log);
  const services = await openServices(config, config.database.url, log);
  shutdown.add('database pool and Temporal connections', () => services.close());
  const workers = await createWorkers({
    config,
    connection: services.workerConnection,
    deps: activityDepsFor(config, services, log),
  });
  // Create or update the declared schedules (idempotent; an operator's pause is kept) where workflows run.
  if (config.workerQueues.includes('main')) {
    log.info({ schedules: await applySchedules(services.client, config) }, 'schedules applied');
  }
  log.info(
    {
      taskQueues: config.workerQueues.map((q) => config.taskQueues[q]),
      bundle: config.workflowBundle ?? '(from source)',
    },
    'worker started',
  );
  superviseWorkers(workers, shutdown, log);
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
