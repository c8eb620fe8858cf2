import type { Client } from '@temporalio/client';
import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../logger.js';

/** What activities need from the outside world. Tests pass real ones pointed at local services. */
export interface ActivityDeps {
  config: Config;
  pool: Pool;
  client: Client;
  log: Logger;
}
