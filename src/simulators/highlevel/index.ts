import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../logger.js';
import { authorizeRoutes } from './authorize.js';
import { contactRecordRoutes } from './contact-records.js';
import { controlRoutes } from './control.js';
import { vendorError } from './errors.js';
import { vendorGuards, type SimEnv } from './guards.js';
import { oauthRoutes } from './oauth.js';
import { resourceRoutes } from './resources.js';
import { createSimState, DEFAULT_LIMITS, type Limits } from './state.js';

export type { SeedBody, SeedInstallation } from './control.js';
export { API_VERSION } from './guards.js';
export { DEFAULT_LIMITS, type Limits } from './state.js';

export interface HighLevelSimulatorOptions {
  /** 0 picks a free port. */
  port: number;
  log: Logger;
  limits?: Partial<Limits>;
  /** The app's OAuth client; defaults to the demo credentials of src/config.ts. */
  client?: { id: string; secret: string };
  /** Ed25519 private key (PEM) that signs webhooks; a fresh pair is generated when absent. */
  webhookPrivateKeyPem?: string;
}

export interface HighLevelSimulator {
  url: string;
  /** PEM (SPKI) of the key that signs webhooks: what `HIGHLEVEL_WEBHOOK_PUBLIC_KEY` would hold. */
  webhookPublicKeyPem: string;
  stop(): Promise<void>;
}

/**
 * Starts a HighLevel API v2 simulator: OAuth (the install page `/oauth/chooselocation` with its scopes and
 * redirect URI, code exchange, rotation, expiry and revocation), locations, contacts (search, upsert, create, list,
 * get, update, delete), scopes, HighLevel's rate limits and error bodies, signed install/uninstall webhooks, and the
 * `/__sim` control API (faults, stats, reset, seed). State is in memory.
 *
 * @example
 * const sim = await startHighLevelSimulator({ port: 4010, log });
 * await fetch(`${sim.url}/__sim/faults`, { method: 'POST', body: JSON.stringify({ rate429: 0.2 }) });
 * await sim.stop();
 */
export async function startHighLevelSimulator(options: HighLevelSimulatorOptions): Promise<HighLevelSimulator> {
  const state = createSimState({ ...DEFAULT_LIMITS, ...options.limits });
  const privateKey = options.webhookPrivateKeyPem
    ? createPrivateKey(options.webhookPrivateKeyPem)
    : generateKeyPairSync('ed25519').privateKey;
  const webhookPublicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  const client = options.client ?? { id: 'demo-highlevel-client', secret: 'demo-highlevel-secret' };

  const app = new Hono<SimEnv>();
  app.route('/', controlRoutes(state, { privateKey, publicKeyPem: webhookPublicKeyPem }));
  // A browser page on the marketplace host, not an API call: no Version header, no API rate limits.
  app.route('/', authorizeRoutes(state, client));
  app.use('*', async (c, next) => (c.req.path.startsWith('/__sim/') ? next() : vendorGuards(state)(c, next)));
  app.route('/', oauthRoutes(state, client));
  app.route('/', resourceRoutes(state));
  app.route('/', contactRecordRoutes(state));
  app.notFound((c) => vendorError(c, 404, `Cannot ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => {
    options.log.error({ err: err.message }, 'HighLevel simulator failed');
    return vendorError(c, 500, 'Internal server error');
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  options.log.info({ url }, 'HighLevel simulator listening');
  return {
    url,
    webhookPublicKeyPem,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
