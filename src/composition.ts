import type { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { ActivityDeps } from './activities/deps.js';
import type { Config } from './config.js';
import { createPool, type Pool } from './db/pool.js';
import { createHighLevelServices } from './integrations/highlevel/index.js';
import { createZohoClient } from './integrations/zoho/client.js';
import type { Logger } from './logger.js';
import { connectClient } from './temporal/client.js';

/** The long-lived connections a process shares between its worker, its API and its activities. */
export interface Services {
  pool: Pool;
  client: Client;
  workerConnection: NativeConnection;
  close(): Promise<void>;
}

/**
 * Opens the database pool and the Temporal connections described by the configuration.
 *
 * @example
 * const services = await openServices(config, databaseUrl, log);
 */
export async function openServices(config: Config, databaseUrl: string, log: Logger): Promise<Services> {
  const pool = createPool(databaseUrl, {
    onError: (err) => log.warn({ err: err.message }, 'database connection lost; the pool reconnects on the next query'),
  });
  const client = await connectClient(config);
  const workerConnection = await NativeConnection.connect(config.temporal.connect.connectionOptions);
  return {
    pool,
    client,
    workerConnection,
    async close() {
      await workerConnection.close();
      await client.connection.close();
      await pool.end();
    },
  };
}

/**
 * The activities' dependencies over a process's services: the pool, the Temporal client and the vendor clients.
 *
 * @example
 * const workers = await createWorkers({ config, connection: services.workerConnection, deps: activityDepsFor(config, services, log) });
 */
export function activityDepsFor(
  config: Config,
  services: Pick<Services, 'pool' | 'client'>,
  log: Logger,
): ActivityDeps {
  const { pool, client } = services;
  return {
    config,
    pool,
    client,
    log: log.child({ component: 'activity' }),
    ...createHighLevelServices({ config, pool, log: log.child({ component: 'highlevel' }) }),
    zoho: createZohoClient({ config, pool, log: log.child({ component: 'zoho' }) }),
  };
}
