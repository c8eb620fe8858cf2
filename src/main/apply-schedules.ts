/**
 * Applies the declared schedules to the configured Temporal cluster and exits: for deployments where the worker
 * and the API run as separate processes (`npm run schedules` once per deploy). `npm start` applies them itself.
 */
import { loadConfigOrExit } from '../config.js';
import { createLogger } from '../logger.js';
import { applySchedules } from '../schedules.js';
import { connectClient } from '../temporal/client.js';

async function run(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config.logLevel, config.logFormat);
  const client = await connectClient(config);
  try {
    log.info({ schedules: await applySchedules(client, config) }, 'schedules applied');
  } finally {
    await client.connection.close();
  }
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
