import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../api/app.js';
import { close, listen } from '../api/server.js';
import { loadConfigOrExit, type Config } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import { activityDepsFor, openServices } from '../composition.js';
import { applySchedules, declaredSchedules } from '../schedules.js';
import { createShutdown, type Shutdown } from '../shutdown.js';
import { createWorkers, installRuntimeLogger, superviseWorkers } from '../worker.js';
import { seedDemoData } from '../dev/seed/index.js';
import { registerStoredInstallations } from '../dev/seed/installations.js';
import { assertPortFree } from '../dev/ports.js';
import { startStack } from '../dev/stack.js';

/** The operator token: configured, or in demo mode generated once and kept under the data directory. */
function operatorTokens(config: Config): string[] {
  if (!config.api.generateToken) return config.api.operatorTokens;
  const file = join(config.dataDir, 'api-token');
  if (!existsSync(file)) writeFileSync(file, randomBytes(24).toString('base64url'), { mode: 0o600 });
  return [readFileSync(file, 'utf8').trim()];
}

/** How long stopping may take beyond the workers' grace before the process gives up and exits (servers included). */
const STOP_DEADLINE_AFTER_GRACE_MS = 90_000;

/**
 * The whole stack in one process tree. Stop steps are registered as each part starts, so Ctrl-C at any moment
 * (even during the first start's Temporal CLI build) stops what runs, in order: the API, the workers (drained
 * within OPSFLOW_SHUTDOWN_GRACE), the simulators, the Temporal dev server, PostgreSQL, the mail capture.
 */
async function run(config: Config, log: Logger, shutdown: Shutdown): Promise<void> {
  if (config.demo) {
    log.warn('DEMO MODE: no HighLevel or ZOHO credentials configured; local simulators stand in for both vendors.');
  }
  if (config.metrics.sdkBind) {
    const port = Number(config.metrics.sdkBind.split(':').pop());
    await assertPortFree(port, 'the Temporal SDK metrics', 'OPSFLOW_SDK_METRICS_BIND');
  }
  // Before the stack: the SDK's own dev server download (machines without Go) would install a runtime of its own.
  installRuntimeLogger(log, config.logLevel, config.metrics.sdkBind);
  const stack = await startStack(config, log, shutdown);
  const services = await openServices(config, stack.databaseUrl, log);
  shutdown.add('database pool and Temporal connections', () => services.close());
  if (config.demo) {
    const seeded = await seedDemoData({ pool: services.pool, config, log, simulators: stack.simulators });
    // The simulator starts empty; the vendor would still know the installations kept from the last run.
    if (!seeded && stack.simulators.highlevel) {
      await registerStoredInstallations({ pool: services.pool, config, log, simulatorUrl: stack.simulators.highlevel });
    }
  }
  const tokens = { operator: operatorTokens(config), viewer: config.api.viewerTokens };

  const workers = await createWorkers({
    config,
    connection: services.workerConnection,
    deps: activityDepsFor(config, services, log),
  });
  superviseWorkers(workers, shutdown, log);
  // Create or update the declared schedules (never duplicates; unchanged ones are left alone, paused stays paused).
  log.info({ schedules: await applySchedules(services.client, config) }, 'schedules applied');
  // Demo mode: a first backup now rather than at 02:00, so GET /backups and the reports have a verified one.
  if (config.demo && (await services.pool.query('SELECT 1 FROM backups LIMIT 1')).rowCount === 0) {
    const backup = declaredSchedules(config).find((s) => s.kind === 'backup')!;
    await services.client.schedule.getHandle(backup.id).trigger();
    log.info({ schedule: backup.id }, 'demo: first backup started');
  }
  const app = createApp({
    config,
    client: services.client,
    pool: services.pool,
    log: log.child({ component: 'api' }),
    tokens,
  });
  const server = await listen(app, { host: config.api.host, port: config.api.port });
  shutdown.add('API', () => close(server));

  const banner = [
    '',
    'Opsflow is running.',
    `  API        ${server.url}  (reference: ${server.url}/docs)`,
    `  API token  ${config.api.generateToken ? tokens.operator[0] : '(OPSFLOW_API_TOKEN)'}`,
    `  Web UI     ${stack.uiUrl ?? '(your Temporal cluster)'}`,
    `  Temporal   ${stack.temporalAddress}  namespace ${config.temporal.namespace}`,
    `  Database   ${stack.databaseUrl.replace(/:[^:@/]+@/, ':***@')}`,
    ...(stack.mailboxUrl ? [`  Mail       ${stack.smtpUrl}  (captured messages: ${stack.mailboxUrl}/messages)`] : []),
    '',
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(banner.join('\n'));
}

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, config.logFormat);
// Installed before anything starts: a stop during the start stops what did start.
const shutdown = createShutdown(log, config.shutdownGraceMs + STOP_DEADLINE_AFTER_GRACE_MS);
run(config, log, shutdown).catch((err: unknown) => {
  log.error({ err }, 'Opsflow failed to start');
  void shutdown.stop('start failed', 1);
});
