import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createInstallationWithTokens } from '../../src/dev/seed/installations.js';
import { loadKeyring } from '../../src/integrations/crypto.js';
import { createTokenStore } from '../../src/integrations/token-store.js';
import { Integration, OpsKind } from '../../src/temporal/search-attributes.js';
import { declaredSchedules } from '../../src/schedules.js';
import { startRun } from '../../src/temporal/start.js';
import type { TokenRefreshStatus } from '../../src/workflows/integrations/refresh-expiring-tokens.js';
import { startTestEnv, type TestEnv } from '../harness.js';
import { tokenRefreshStatusQuery } from '../../src/workflows/integrations/refresh-expiring-tokens.js';

/** Every string in a history, payload bytes decoded, so a token in any payload or failure message is found. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
  return out;
}

describe('refreshExpiringTokens workflow', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ highlevelSimulator: true, zohoSimulator: true });
  });
  after(() => env.stop());

  it('refreshes expiring installations, marks a revoked one as error, and keeps every token out of its history', async () => {
    const keyring = loadKeyring(env.config, env.log);
    const tokenStore = createTokenStore({ pool: env.pool, keyring, log: env.log });
    const company = `co-${randomUUID().slice(0, 8)}`;
    const fixture = (n: number, expiresInSeconds: number, revokedAtVendor = false) => ({
      companyId: company,
      locationId: `${company}-loc-${n}`,
      userType: 'Location' as const,
      expiresInSeconds,
      revokedAtVendor,
    });
    const create = (f: ReturnType<typeof fixture>) =>
      createInstallationWithTokens({
        pool: env.pool,
        tokenStore,
        simulatorUrl: env.highlevelSimulator!.url,
        fixture: f,
      });
    const soon = await create(fixture(1, 3600));
    const expired = await create(fixture(2, -600));
    const fresh = await create(fixture(3, 72 * 3600));
    const revoked = await create(fixture(4, 1800, true));

    const tokensOf = async () => {
      const { rows } = await env.pool.query('SELECT * FROM hl_installations');
      return rows.flatMap((r) =>
        (['access', 'refresh'] as const).flatMap((field) => {
          const enc = r[`${field}_token_enc`];
          return enc ? [keyring.decrypt(enc, r.token_key_id, `hl_installations:${r.id}:${field}`)] : [];
        }),
      );
    };
    const before = await tokensOf();

    const { handle } = await startRun(env.client, {
      workflow: 'refreshExpiringTokens',
      workflowId: `token-refresh-test-${randomUUID()}`,
      taskQueue: env.config.taskQueues.main,
      kind: 'token-refresh',
      summary: 'Token refresh test',
      args: [{ withinSeconds: 24 * 3600 }],
    });
    const result = (await handle.result()) as TokenRefreshStatus;
    assert.equal(result.status, 'completed');
    assert.equal(result.due, 3);
    assert.equal(result.refreshed, 2);
    assert.deepEqual(
      result.failed.map((f) => [f.installationId, f.errorClass]),
      [[revoked, 'AuthFailed']],
    );

    assert.ok(result.incidentId, 'the failed refresh opened an incident');
    const incident = await env.pool.query('SELECT dedup_key, source FROM incidents WHERE id = $1', [result.incidentId]);
    assert.deepEqual(incident.rows, [{ dedup_key: 'token-refresh-highlevel', source: 'token-refresh' }]);
    const { rows } = await env.pool.query('SELECT id, status, last_error FROM hl_installations ORDER BY id');
    const status = Object.fromEntries(rows.map((r) => [r.id, r.status]));
    assert.deepEqual(status, { [soon]: 'active', [expired]: 'active', [fresh]: 'active', [revoked]: 'error' });
    assert.match(rows.find((r) => r.id === revoked).last_error, /AuthFailed/);

    const description = await handle.describe();
    assert.equal(description.typedSearchAttributes.get(OpsKind), 'token-refresh');
    assert.equal(description.typedSearchAttributes.get(Integration), 'highlevel');
    assert.equal((await handle.query(tokenRefreshStatusQuery)).refreshed, 2);

    const after = await tokensOf();
    const secrets = [...new Set([...before, ...after])];
    assert.ok(
      after.some((t) => !before.includes(t)),
      'the refresh stored new tokens',
    );
    const history = strings(await handle.fetchHistory()).join('\n');
    assert.match(history, /"installationId":/, 'payloads were decoded (the check can see what activities got)');
    for (const secret of secrets) assert.ok(!history.includes(secret), 'a token appears in the workflow history');
  });

  it('refreshes the ZOHO access token once when it is about to expire, leaves a fresh one alone, pages when ZOHO refuses, and keeps it out of its history', async () => {
    const keyring = loadKeyring(env.config, env.log);
    const storedZohoToken = async () => {
      const { rows } = await env.pool.query(
        'SELECT credential_id, access_token_enc, token_key_id, expires_at FROM zoho_access_tokens',
      );
      assert.equal(rows.length, 1, 'one shared ZOHO token row');
      const row = rows[0];
      const token = keyring.decrypt(row.access_token_enc, row.token_key_id, `zoho_access_tokens:${row.credential_id}`);
      return { token, expiresAt: row.expires_at as Date };
    };
    const granted = async () => {
      const res = await fetch(`${env.zohoSimulator!.url}/__sim/stats`);
      return ((await res.json()) as { tokens: { granted: number } }).tokens.granted;
    };
    const run = async (name: string) => {
      const { handle } = await startRun(env.client, {
        workflow: 'refreshExpiringTokens',
        workflowId: `token-refresh-zoho-${name}-${randomUUID()}`,
        taskQueue: env.config.taskQueues.main,
        kind: 'token-refresh',
        summary: `Token refresh test (ZOHO ${name})`,
        // A 30-minute window: no HighLevel installation of the first test is due, the ZOHO token decides alone.
        args: [{ withinSeconds: 1800 }],
      });
      return { handle, result: (await handle.result()) as TokenRefreshStatus };
    };

    // A ZOHO call stores the shared token; then it is made to expire in a minute.
    await env.zoho.listOrganizations();
    await env.pool.query(`UPDATE zoho_access_tokens SET expires_at = now() + interval '60 seconds'`);
    const old = await storedZohoToken();
    const grantsBefore = await granted();

    const expiring = await run('expiring');
    assert.equal(expiring.result.zoho?.outcome, 'refreshed');
    assert.equal(await granted(), grantsBefore + 1, 'exactly one token was asked of ZOHO');
    const renewed = await storedZohoToken();
    assert.notEqual(renewed.token, old.token);
    assert.ok(renewed.expiresAt.getTime() > Date.now() + 50 * 60_000, 'the stored token is good for about an hour');
    assert.equal(expiring.result.zoho?.expiresAt, renewed.expiresAt.toISOString());
    assert.equal(expiring.result.incidentId, undefined);

    const fresh = await run('fresh');
    assert.equal(fresh.result.zoho?.outcome, 'fresh');
    assert.equal(await granted(), grantsBefore + 1, 'a fresh token is reused, not replaced');
    assert.equal((await storedZohoToken()).token, renewed.token);

    // ZOHO refuses the refresh token: the step fails for good (no retry storm) and pages once.
    await env.pool.query(`UPDATE zoho_access_tokens SET expires_at = now() + interval '60 seconds'`);
    const sim = (body: object) =>
      fetch(`${env.zohoSimulator!.url}/__sim/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    await sim({ revokeRefreshToken: true });
    try {
      const refused = await run('refused');
      assert.equal(refused.result.zoho?.outcome, 'failed');
      assert.equal(refused.result.zoho?.outcome === 'failed' && refused.result.zoho.errorClass, 'AuthFailed');
      const incident = await env.pool.query('SELECT dedup_key FROM incidents WHERE id = $1', [
        refused.result.incidentId,
      ]);
      assert.deepEqual(incident.rows, [{ dedup_key: 'token-refresh-zoho' }]);
    } finally {
      await sim({ revokeRefreshToken: false });
    }

    for (const { handle } of [expiring, fresh]) {
      const history = strings(await handle.fetchHistory()).join('\n');
      assert.match(history, /refreshZohoAccessToken/, 'the history holds the ZOHO step');
      for (const secret of [old.token, renewed.token]) {
        assert.ok(!history.includes(secret), 'a ZOHO token appears in the workflow history');
      }
    }
  });

  it("refreshes, through the hourly schedule's window, a token expiring in 90 minutes and leaves one of 3 hours", async () => {
    const keyring = loadKeyring(env.config, env.log);
    const tokenStore = createTokenStore({ pool: env.pool, keyring, log: env.log });
    const company = `hourly-${randomUUID().slice(0, 8)}`;
    const create = (n: number, expiresInSeconds: number) =>
      createInstallationWithTokens({
        pool: env.pool,
        tokenStore,
        simulatorUrl: env.highlevelSimulator!.url,
        fixture: { companyId: company, locationId: `${company}-loc-${n}`, userType: 'Location', expiresInSeconds },
      });
    const in90Minutes = await create(1, 90 * 60);
    const in3Hours = await create(2, 3 * 3600);
    const hourly = declaredSchedules(env.config).find((s) => s.workflowType === 'refreshExpiringTokens')!;
    assert.deepEqual(hourly.spec.intervals, [{ every: '1 hour' }]);
    const { handle } = await startRun(env.client, {
      workflow: 'refreshExpiringTokens',
      workflowId: `token-refresh-hourly-${randomUUID()}`,
      taskQueue: env.config.taskQueues.main,
      kind: 'token-refresh',
      summary: 'Hourly token refresh test',
      args: hourly.args ?? [],
    });
    assert.equal(((await handle.result()) as TokenRefreshStatus).status, 'completed');
    const { rows } = await env.pool.query<{ id: string; expires_at: Date }>(
      'SELECT id, expires_at FROM hl_installations WHERE id = ANY($1)',
      [[in90Minutes, in3Hours]],
    );
    const expiry = new Map(rows.map((r) => [Number(r.id), r.expires_at.getTime()]));
    assert.ok(expiry.get(in90Minutes)! > Date.now() + 3 * 3600_000, 'the 90-minute token was refreshed');
    assert.ok(expiry.get(in3Hours)! < Date.now() + 3 * 3600_000 + 60_000, 'the 3-hour token waits for a later run');
  });
});
