import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { SECURITY_EVENT } from '../../api/security-events.js';
import { loadKeyring } from '../../integrations/crypto.js';
import { createTokenStore, type TokenStore } from '../../integrations/token-store.js';
import type { SeedBody, SeedInstallation } from '../../simulators/highlevel/index.js';
import type { SeedContext, Seeder } from './types.js';

/** A demo token: deterministic per name, so two seeds of the same scale hold the same data. */
const demoToken = (kind: 'at' | 'rt', name: string) =>
  `hl_${kind}_demo_${createHash('sha256').update(`${kind}:${name}`).digest('base64url').slice(0, 24)}`;

export interface InstallationFixture {
  companyId: string;
  locationId: string | null;
  userType: 'Company' | 'Location';
  /** Seconds until the access token expires; negative for an already expired one. */
  expiresInSeconds: number;
  status?: 'active' | 'expired' | 'revoked' | 'error';
  /** The vendor has revoked the tokens (the refresh will fail with AuthFailed). */
  revokedAtVendor?: boolean;
  lastError?: string;
}

/** Sends a seed body to a simulator's control API. */
export async function seedSimulator(simulatorUrl: string, body: SeedBody): Promise<void> {
  const res = await fetch(`${simulatorUrl}/__sim/seed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`HighLevel simulator refused the seed: HTTP ${res.status}`);
}

/**
 * Creates an installation with real tokens: encrypted in `hl_installations` and registered in the simulator, so
 * refreshing it really talks OAuth (rotation included). Returns the installation id.
 *
 * @example
 * const id = await createInstallationWithTokens({ pool, tokenStore, simulatorUrl, fixture });
 */
export async function createInstallationWithTokens({
  pool,
  tokenStore,
  simulatorUrl,
  fixture,
}: {
  pool: Pool;
  tokenStore: TokenStore;
  simulatorUrl?: string;
  fixture: InstallationFixture;
}): Promise<number> {
  const name = `${fixture.companyId}:${fixture.locationId ?? ''}`;
  const accessToken = demoToken('at', name);
  const refreshToken = demoToken('rt', name);
  if (simulatorUrl) {
    const inst: SeedInstallation = {
      companyId: fixture.companyId,
      locationId: fixture.locationId,
      userType: fixture.userType,
      accessToken,
      refreshToken,
      accessExpiresAt: new Date(Date.now() + fixture.expiresInSeconds * 1000).toISOString(),
      revoked: fixture.revokedAtVendor,
    };
    const locations = fixture.locationId
      ? [{ id: fixture.locationId, companyId: fixture.companyId, name: `Demo ${fixture.locationId}` }]
      : [];
    await seedSimulator(simulatorUrl, { installations: [inst], locations });
  }
  const id = await tokenStore.upsertInstallation({
    companyId: fixture.companyId,
    locationId: fixture.locationId,
    userType: fixture.userType,
    grant: { accessToken, refreshToken, expiresInSeconds: fixture.expiresInSeconds },
    actor: 'seed',
  });
  if (fixture.status && fixture.status !== 'active') {
    await pool.query('UPDATE hl_installations SET status = $2, last_error = $3 WHERE id = $1', [
      id,
      fixture.status,
      fixture.lastError ?? null,
    ]);
  }
  return id;
}

/**
 * Demo mode keeps the database across restarts but the simulator starts empty: this registers the tokens and
 * locations Opsflow holds again, as the real vendor would still know them, so refreshes keep working.
 *
 * @example
 * await registerStoredInstallations({ pool, config, log, simulatorUrl: 'http://127.0.0.1:4010' });
 */
export async function registerStoredInstallations({
  pool,
  config,
  log,
  simulatorUrl,
}: Omit<SeedContext, 'simulators'> & { simulatorUrl: string }): Promise<number> {
  const rows = await createTokenStore({ pool, keyring: loadKeyring(config, log), log }).allWithTokens();
  await seedSimulator(simulatorUrl, {
    installations: rows.map((r) => ({
      companyId: r.companyId,
      locationId: r.locationId,
      userType: r.userType,
      accessToken: r.accessToken,
      refreshToken: r.refreshToken,
      accessExpiresAt: r.expiresAt?.toISOString(),
      revoked: r.status === 'revoked' || r.status === 'error',
    })),
    locations: rows
      .filter((r) => r.locationId)
      .map((r) => ({ id: r.locationId!, companyId: r.companyId, name: `Demo ${r.locationId}` })),
    contacts: rows
      .filter((r) => r.locationId && r.status === 'active')
      .map((r) => ({ locationId: r.locationId!, count: CONTACTS_PER_LOCATION })),
  });
  return rows.length;
}

const HOUR = 3600;
/** The refused requests the demo shows, mostly wrong API tokens. */
const DEMO_REFUSALS = [
  SECURITY_EVENT.tokenInvalid,
  SECURITY_EVENT.tokenInvalid,
  SECURITY_EVENT.tokenMissing,
  SECURITY_EVENT.webhookSignatureInvalid,
  SECURITY_EVENT.oauthStateInvalid,
];
const CONTACTS_PER_LOCATION = 25;

/** The installation mix for one unit of scale (documented in docs/demo-data.md). */
function fixturesFor(scale: number): InstallationFixture[] {
  const out: InstallationFixture[] = [];
  for (let s = 0; s < scale; s++) {
    const company = `demo-agency-${s + 1}`;
    out.push({ companyId: company, locationId: null, userType: 'Company', expiresInSeconds: 40 * HOUR });
    for (let n = 1; n <= 12; n++) {
      const locationId = `demo-loc-${s + 1}-${String(n).padStart(2, '0')}`;
      const base = { companyId: company, locationId, userType: 'Location' as const };
      if (n <= 6) out.push({ ...base, expiresInSeconds: (24 + n * 4) * HOUR });
      else if (n <= 9)
        out.push({ ...base, expiresInSeconds: (n - 6) * 4 * HOUR }); // expiring within 24 h
      else if (n === 10) out.push({ ...base, expiresInSeconds: -2 * HOUR, status: 'expired' });
      else if (n === 11) out.push({ ...base, expiresInSeconds: -30 * HOUR, status: 'revoked', revokedAtVendor: true });
      else
        out.push({
          ...base,
          expiresInSeconds: -6 * HOUR,
          status: 'error',
          revokedAtVendor: true,
          lastError: 'AuthFailed: Invalid grant: refresh token is invalid',
        });
    }
  }
  return out;
}

/**
 * Demo installations (active, expiring within 24 h, expired, revoked, in error) with real tokens registered in the
 * simulator, refused requests in `security_events`, token abuse patterns in `hl_audit_log`, and outbound
 * `webhook_deliveries` (delivered, failed, pending). Runs first: billing and operations come after.
 *
 * @example
 * const counts = await seedInstallations({ pool, config, log, simulators: { highlevel: 'http://127.0.0.1:4010' } });
 */
export const seedInstallations: Seeder = async ({ pool, config, log, simulators }) => {
  const tokenStore = createTokenStore({ pool, keyring: loadKeyring(config, log), log });
  const fixtures = fixturesFor(config.demoScale);
  for (const fixture of fixtures) {
    await createInstallationWithTokens({ pool, tokenStore, simulatorUrl: simulators.highlevel, fixture });
  }
  if (simulators.highlevel) {
    await seedSimulator(simulators.highlevel, {
      contacts: fixtures
        .filter((f) => f.locationId && !f.status)
        .map((f) => ({ locationId: f.locationId!, count: CONTACTS_PER_LOCATION })),
    });
  }

  // Security events over the last 12 days: refused requests from a few addresses (security_events, the same types
  // the API writes) and token abuse patterns (hl_audit_log, beside the token store's own trail).
  const { rowCount: refusals } = await pool.query(
    `INSERT INTO security_events (type, source_ip, method, route, details, created_at)
     SELECT e.type, '203.0.113.' || (g % 7 + 10), e.method, e.route, '{"demo": true}', now() - make_interval(hours => g * 7)
       FROM generate_series(1, 40 * $1::int) AS g
       CROSS JOIN LATERAL (SELECT ($2::text[])[1 + (g / 2) % array_length($2::text[], 1)] AS type) t
       CROSS JOIN LATERAL (SELECT t.type,
         CASE WHEN t.type LIKE 'webhook.%' THEN 'POST' ELSE 'GET' END AS method,
         CASE WHEN t.type LIKE 'webhook.%' THEN '/webhooks/highlevel'
              WHEN t.type LIKE 'oauth.%' THEN '/oauth/highlevel/callback' ELSE '/incidents' END AS route) e
      WHERE g % 4 IN (0, 1)`,
    [config.demoScale, DEMO_REFUSALS],
  );
  const { rowCount: tokenAbuse } = await pool.query(
    `INSERT INTO hl_audit_log (event_type, actor, location_id, details, created_at)
     SELECT CASE g % 4 WHEN 2 THEN 'token.invalid_used' ELSE 'token.reuse_detected' END,
            'user' || (g % 5) || '@demo.example', 'demo-loc-1-' || lpad(((g % 12) + 1)::text, 2, '0'),
            jsonb_build_object('reason', CASE g % 4 WHEN 2 THEN 'expired access token presented'
                                                    ELSE 'spent refresh token presented again' END),
            now() - make_interval(hours => g * 7)
       FROM generate_series(1, 40 * $1::int) AS g
      WHERE g % 4 IN (2, 3)`,
    [config.demoScale],
  );

  // Outbound webhook deliveries: delivered, failed (with backoff scheduled) and pending.
  const { rowCount: deliveries } = await pool.query(
    `INSERT INTO webhook_deliveries (target_url, event_type, payload, status, attempts, last_status_code, last_error,
                                     next_attempt_at, delivered_at, created_at)
     SELECT 'https://hooks.demo.example/opsflow/' || (g % 3), 'contact.synced', jsonb_build_object('seq', g),
            s.status, s.attempts, s.code, s.err, s.next_at, s.delivered_at, now() - make_interval(mins => g * 37)
       FROM generate_series(1, 30 * $1::int) AS g
       CROSS JOIN LATERAL (SELECT
         CASE WHEN g % 6 = 0 THEN 'failed' WHEN g % 6 = 1 THEN 'pending' ELSE 'delivered' END AS status,
         CASE WHEN g % 6 = 0 THEN 3 WHEN g % 6 = 1 THEN 0 ELSE 1 END AS attempts,
         CASE WHEN g % 6 = 0 THEN 502 WHEN g % 6 = 1 THEN NULL ELSE 200 END AS code,
         CASE WHEN g % 6 = 0 THEN 'HTTP 502 Bad Gateway' END AS err,
         CASE WHEN g % 6 IN (0, 1) THEN now() + make_interval(mins => g) END AS next_at,
         CASE WHEN g % 6 NOT IN (0, 1) THEN now() - make_interval(mins => g * 37) END AS delivered_at) s`,
    [config.demoScale],
  );
  return {
    installations: fixtures.length,
    securityEvents: (refusals ?? 0) + (tokenAbuse ?? 0),
    webhookDeliveries: deliveries ?? 0,
  };
};
