import type { Config } from '../../config.js';
import type { Pool } from '../../db/pool.js';
import type { Logger } from '../../logger.js';

/** What a demo seeder gets: the database, the configuration and the running simulators' base URLs. */
export interface SeedContext {
  pool: Pool;
  config: Config;
  log: Logger;
  /** Base URLs of the simulators started for demo mode (their `/__sim/*` control API lives there). */
  simulators: { highlevel?: string; zoho?: string };
}

/** One part of the demo data; returns the counts it wrote, for the start log and the docs. */
export type Seeder = (ctx: SeedContext) => Promise<Record<string, number>>;
