/** HighLevel test fixtures shared by the HighLevel and token test files. */
import { randomUUID } from 'node:crypto';
import { createInstallationWithTokens } from '../src/dev/seed/installations.js';
import { createHighLevelServices } from '../src/integrations/highlevel/index.js';
import type { TestEnv } from './harness.js';

/**
 * A fresh location installation with real tokens, known to the simulator at `baseUrl` (the env's own by default),
 * and a client and token store pointed at that simulator.
 *
 * @example
 * const { highlevel, id, locationId } = await locationInstallation(env, { expiresInSeconds: -60 });
 */
export async function locationInstallation(
  env: TestEnv,
  options: { expiresInSeconds?: number; revokedAtVendor?: boolean; baseUrl?: string } = {},
) {
  const baseUrl = options.baseUrl ?? env.highlevelSimulator!.url;
  const config = { ...env.config, highlevel: { ...env.config.highlevel, baseUrl } };
  const services = createHighLevelServices({ config, pool: env.pool, log: env.log });
  const companyId = `co-${randomUUID().slice(0, 8)}`;
  const locationId = `loc-${randomUUID().slice(0, 8)}`;
  const id = await createInstallationWithTokens({
    pool: env.pool,
    tokenStore: services.tokenStore,
    simulatorUrl: baseUrl,
    fixture: {
      companyId,
      locationId,
      userType: 'Location',
      expiresInSeconds: options.expiresInSeconds ?? 3600,
      revokedAtVendor: options.revokedAtVendor,
    },
  });
  return { ...services, id, companyId, locationId };
}
