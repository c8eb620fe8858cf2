import { seedBilling } from './billing.js';
import { seedInstallations } from './installations.js';
import { seedOperations } from './operations.js';
import type { SeedContext, Seeder } from './types.js';

export type { SeedContext, Seeder } from './types.js';

/**
 * The seeders, in order (installations before billing before operational history). Each is deterministic for a
 * given `OPSFLOW_DEMO_SCALE`.
 */
const SEEDERS: Array<[string, Seeder]> = [
  // Installations first: billing and operational history may refer to them.
  ['installations', seedInstallations],
  // Billing records, mirrored into the ZOHO simulator where they are synced.
  ['billing', seedBilling],
  // Operational history goes last: it reads nothing the others write.
  ['operations', seedOperations],
];

/**
 * Seeds demo data into an empty database, once: a database that already has installations or customers is left
 * as it is, so a second `npm start` keeps what the first one (and the operator) did.
 *
 * @example
 * await seedDemoData({ pool, config, log, simulators: { zoho: 'http://127.0.0.1:4020' } });
 */
export async function seedDemoData(ctx: SeedContext): Promise<boolean> {
  const { rows } = await ctx.pool.query<{ seeded: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM hl_installations) OR EXISTS (SELECT 1 FROM customers) AS seeded',
  );
  if (rows[0]?.seeded) return false;
  for (const [name, seed] of SEEDERS) {
    const counts = await seed(ctx);
    ctx.log.info({ component: 'seed', part: name, ...counts }, 'demo data seeded');
  }
  return true;
}
