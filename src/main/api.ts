/**
 * The API process for production: connects to the configured Temporal cluster and PostgreSQL (no embedded stack),
 * applies pending migrations and serves the HTTP API until SIGINT, SIGTERM or SIGHUP.
 */
import { loadConfigOrExit } from '../config.js';
import { migrate } from '../db/migrate.js';
import { createLogger } from '../logger.js';
import { openServices } from '../composition.js';
import { createApp } from '../api/app.js';
import { createShutdown } from '../shutdown.js';
import { API_CLOSE_GRACE_MS, close, listen } from '../api/server.js';

async function run(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config.logLevel, config.logFormat).child({ component: 'api' });
  if (!config.database.url || config.temporal.embedded) {
    throw new Error('The API process needs DATABASE_URL and TEMPORAL_ADDRESS (use `npm start` for the embedded stack)');
  }
  if (config.api.operatorTokens.length === 0) throw new Error('The API process needs OPSFLOW_API_TOKEN');
  await migrate(config.database.url, log);
  const shutdown = createShutdown(log, API_CLOSE_GRACE_MS + 30_000);
  const services = await openServices(config, config.database.url, log);
  shutdown.add('database pool and Temporal connection', () => services.close());
  const tokens = { operator: config.api.operatorTokens, viewer: config.api.viewerTokens };
  const app = createApp({ config, client: services.client, pool: services.pool, log, tokens });
  const server = await listen(app, { host: config.api.host, port: config.api.port });
  shutdown.add('API', () => close(server));
  log.info({ url: server.url }, 'API listening');
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
