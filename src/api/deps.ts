import type { Client } from '@temporalio/client';
import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../logger.js';

/** What the API needs: it starts and steers workflows, and reads the database and visibility. */
export interface ApiDeps {
  config: Config;
  client: Client;
  pool: Pool;
  log: Logger;
  /** Tokens in force: the configured ones, plus a generated operator token in demo mode. */
  tokens: { operator: string[]; viewer: string[] };
}
