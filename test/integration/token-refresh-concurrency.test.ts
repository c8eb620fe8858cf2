import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadKeyring } from '../../src/integrations/crypto.js';
import { createHighLevelServices } from '../../src/integrations/highlevel/index.js';
import { startTestEnv, type TestEnv } from '../harness.js';
import { refreshGrant as grantAtVendor, locationInstallation, storedTokens as stored } from '../highlevel-fixtures.js';

interface SimStats {
  refreshesByInstallation: Record<string, number>;
  spentRefreshTokenReuse: number;
}

describe('HighLevel token store', () => {
  let env: TestEnv;
  let sim: string;
  before(async () => {
    env = await startTestEnv({ highlevelSimulator: true, workers: false });
    sim = env.highlevelSimulator!.url;
  });
  after(() => env.stop());

  const stats = async () => (await (await fetch(`${sim}/__sim/stats`)).json()) as SimStats;
  const storedTokens = (id: number) => stored(env, id);
  const refreshGrant = (refreshToken: string) => grantAtVendor(env, refreshToken);

  it('refreshes an expired token exactly once for many concurrent callers and stores the rotated refresh token', async () => {
    const { highlevel, id, companyId, locationId } = await locationInstallation(env, { expiresInSeconds: -60 });
    const before = await storedTokens(id);

    const callers = 8;
    const answers = await Promise.all(Array.from({ length: callers }, () => highlevel.getLocation(id, locationId)));
    assert.ok(answers.every((a) => a.location?.id === locationId));

    assert.equal((await stats()).refreshesByInstallation[`${companyId}:${locationId}`], 1);
    const afterRefresh = await storedTokens(id);
    assert.equal(afterRefresh.version, before.version + 1);
    assert.notEqual(afterRefresh.refresh, before.refresh);
    const { rows } = await env.pool.query(
      `SELECT outcome, count(*)::int AS n FROM token_refresh_logs WHERE installation_id = $1 GROUP BY outcome`,
      [id],
    );
    assert.deepEqual(rows, [{ outcome: 'refreshed', n: 1 }]);

    // The old refresh token is spent at the vendor; the stored one is the live one.
    assert.equal((await refreshGrant(before.refresh)).status, 401);
    assert.equal((await refreshGrant(afterRefresh.refresh)).status, 200);
  });

  it('refreshes once on a 401 for a token the vendor expired early, then retries the call', async () => {
    // Opsflow believes the token is good for an hour; the vendor already expired it.
    const { highlevel, id, companyId, locationId } = await locationInstallation(env, { expiresInSeconds: 3600 });
    await fetch(`${sim}/__sim/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        installations: [
          {
            companyId,
            locationId,
            userType: 'Location',
            accessToken: (await storedTokens(id)).access,
            accessExpiresAt: new Date(Date.now() - 1000).toISOString(),
          },
        ],
      }),
    });
    const answers = await Promise.all([1, 2, 3].map(() => highlevel.getLocation(id, locationId)));
    assert.ok(answers.every((a) => a.location?.id === locationId));
    assert.equal((await stats()).refreshesByInstallation[`${companyId}:${locationId}`], 1);
  });

  it('keeps tokens encrypted at rest, bound to their row and key id', async () => {
    const { tokenStore } = createHighLevelServices({ config: env.config, pool: env.pool, log: env.log });
    const id = await tokenStore.upsertInstallation({
      companyId: `co-${randomUUID().slice(0, 8)}`,
      locationId: null,
      userType: 'Company',
      grant: { accessToken: 'plain-access-token-value', refreshToken: 'plain-refresh-value', expiresInSeconds: 60 },
      actor: 'test',
    });
    const { rows } = await env.pool.query(
      `SELECT position('plain-access-token-value'::bytea IN access_token_enc) AS found, token_key_id
         FROM hl_installations WHERE id = $1`,
      [id],
    );
    assert.equal(rows[0].found, 0);
    assert.equal(rows[0].token_key_id, loadKeyring(env.config, env.log).currentKeyId);
  });
});
