import type { Client } from '@temporalio/client';
import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { HighLevelClient } from '../integrations/highlevel/client.js';
import type { TokenStore } from '../integrations/token-store.js';
import type { ZohoClient } from '../integrations/zoho/client.js';
import type { Logger } from '../logger.js';

/** What activities need from the outside world. Tests pass real ones pointed at local services. */
export interface ActivityDeps {
  config: Config;
  pool: Pool;
  client: Client;
  log: Logger;
  /** HighLevel API v2 client; calls take installation ids and read tokens from the store. */
  highlevel: HighLevelClient;
  /** Encrypted OAuth token store of HighLevel installations. */
  tokenStore: TokenStore;
  /** ZOHO Billing v1 client (shared access token, classified errors, usage counted). */
  zoho: ZohoClient;
}
