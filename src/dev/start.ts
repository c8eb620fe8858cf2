import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../api/app.js';
import { close, listen } from '../api/server.js';
import { loadConfigOrExit, type Config } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import { activityDepsFor, openServices } from '../services.js';
import { applySchedules } from '../schedules.js';
import { createWorkers, installRuntimeLogger } from '../worker.js';
import { seedDemoData } from './seed/index.js';
import { registerStoredInstallations } from './seed/installations.js';
import { startStack } from './stack.js';

/** The operator token: configured, or in demo mode generated once and kept under the data directory. */
function operatorTokens(config: Config): string[] {
  if (!config.api.generateToken) return config.api.operatorTokens;
  const file = join(config.dataDir, 'api-token');
  if (!existsSync(file)) writeFileSync(file, randomBytes(24).toString('base64url'), { mode: 0o600 });
  return [readFileSync(file, 'utf8').trim()];
}

async function run(config: Config, log: Logger): Promise<void> {
  if (config.demo) {
    log.warn('DEMO MODE: no HighLevel or ZOHO credentials configured; local simulators stand in for both vendors.');
  }
  installRuntimeLogger(log, config.logLevel);
  const stack = await startStack(config, log);
  const services = await openServices(config, stack.databaseUrl, log).catch(async (err: unknown) => {
    await stack.stop();
    throw err;
  });
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
  const running = Promise.all(workers.map((w) => w.run()));
  // Create or update the declared schedules (never duplicates; unchanged ones are left alone, paused stays paused).
  log.info({ schedules: await applySchedules(services.client, config) }, 'schedules applied');
  const app = createApp({
    config,
    client: services.client,
    pool: services.pool,
    log: log.child({ component: 'api' }),
    tokens,
  });
  const server = await listen(app, { host: config.api.host, port: config.api.port });

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

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await close(server);
    // The SDK's own signal handler may have started draining the workers already.
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await running.catch((err: Error) => log.warn({ err: err.message }, 'worker stopped with an error'));
    await services.close();
    await stack.stop();
    log.info('stopped');
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      shutdown(signal).then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
  await running;
}

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, config.logFormat);
run(config, log).catch((err: unknown) => {
  log.error({ err }, 'Opsflow failed to start');
  process.exit(1);
});
