/** HighLevel test fixtures shared by the HighLevel and token test files. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createInstallationWithTokens } from '../src/dev/seed/installations.js';
import { loadKeyring } from '../src/integrations/crypto.js';
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

/** An installation's stored tokens, decrypted, with its token version and status. */
export async function storedTokens(env: TestEnv, id: number) {
  const { rows } = await env.pool.query(
    'SELECT access_token_enc, refresh_token_enc, token_key_id, token_version, status FROM hl_installations WHERE id = $1',
    [id],
  );
  const keyring = loadKeyring(env.config, env.log);
  return {
    version: rows[0].token_version as number,
    status: rows[0].status as string,
    access: keyring.decrypt(rows[0].access_token_enc, rows[0].token_key_id, `hl_installations:${id}:access`),
    refresh: keyring.decrypt(rows[0].refresh_token_enc, rows[0].token_key_id, `hl_installations:${id}:refresh`),
  };
}

/** A refresh grant straight at the simulator's token endpoint (the vendor's view of a refresh token). */
export function refreshGrant(env: TestEnv, refreshToken: string): Promise<Response> {
  return fetch(`${env.highlevelSimulator!.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: env.config.highlevel.clientId,
      client_secret: env.config.highlevel.clientSecret,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    }),
  });
}

/**
 * An install approved on the simulator's marketplace page: the one-time code it redirects back with. No
 * `locationId` is an agency install; `scope` is what the app asks for (the app's configured scopes when absent).
 *
 * @example
 * const code = await approvedInstall(env, { companyId, locationId, redirectUri: 'https://app.example/cb' });
 */
export async function approvedInstall(
  env: TestEnv,
  pick: { companyId: string; locationId?: string; redirectUri: string; scope?: string },
): Promise<string> {
  const page = new URL('/oauth/chooselocation', env.highlevelSimulator!.url);
  page.search = new URLSearchParams({
    response_type: 'code',
    client_id: env.config.highlevel.clientId,
    redirect_uri: pick.redirectUri,
    companyId: pick.companyId,
    ...(pick.locationId ? { locationId: pick.locationId } : {}),
    ...(pick.scope ? { scope: pick.scope } : {}),
  }).toString();
  const res = await fetch(page, { redirect: 'manual' });
  if (res.status !== 302) throw new Error(`the install page answered ${res.status}: ${await res.text()}`);
  return new URL(res.headers.get('location')!).searchParams.get('code')!;
}

/**
 * The error a call fails with, which must be a `type` (an `IntegrationError`, or an SDK's error class); the test
 * fails if the call succeeds.
 *
 * @example
 * const err = await failureOf(highlevel.getLocation(id, 'nope'), IntegrationError);
 */
export async function failureOf<E extends Error>(
  call: Promise<unknown>,
  type: new (...args: never[]) => E,
): Promise<E> {
  const err = await call.then(
    () => assert.fail('the call succeeded'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof type, `${type.name} expected, got ${String(err)}`);
  return err;
}
