import type { Pool } from 'pg';
import type { Config } from '../../config.js';
import type { Logger } from '../../logger.js';
import { loadKeyring } from '../crypto.js';
import { createTokenStore, type TokenStore } from '../token-store.js';
import { createHighLevelClient, type HighLevelClient } from './client.js';

export { createHighLevelClient, type HighLevelClient } from './client.js';
export { classifyHighLevelFailure } from './classify.js';

/**
 * The token store and HighLevel client a process needs, built once from config (workers, API, tests).
 *
 * @example
 * const { tokenStore, highlevel } = createHighLevelServices({ config, pool, log });
 */
export function createHighLevelServices({ config, pool, log }: { config: Config; pool: Pool; log: Logger }): {
  tokenStore: TokenStore;
  highlevel: HighLevelClient;
} {
  const tokenStore = createTokenStore({ pool, keyring: loadKeyring(config, log), log });
  return { tokenStore, highlevel: createHighLevelClient({ config, tokenStore, pool, log }) };
}
