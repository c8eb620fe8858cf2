/**
 * Fault: PostgreSQL goes away between HighLevel rotating an installation's refresh token and our transaction saving
 * the new pair. The vendor has already spent the old refresh token, so losing the new one would lock the
 * installation out until someone reinstalls the app. A private stack, since the database server is restarted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadKeyring } from '../../src/integrations/crypto.js';
import type { Refresher, TokenGrant } from '../../src/integrations/token-store.js';
import { startTestEnv, type TestEnv } from '../harness.js';
import { locationInstallation } from '../highlevel-fixtures.js';
import { startFaultStack, type PrivateStack } from '../stack.js';

describe('PostgreSQL restarted while a HighLevel token refresh is being saved', () => {
  let stack: PrivateStack;
  let env: TestEnv;
  /** The database's return, started by the refresher; awaited on the way out even when an assertion failed. */
  let restarted: Promise<void> | undefined;
  before(async () => {
    stack = await startFaultStack('fault-token-refresh');
    env = await startTestEnv({ highlevelSimulator: true, workers: false });
  });
  after(async () => {
    await restarted?.catch(() => undefined);
    await env?.stop();
    await stack?.stop();
  });

  const refreshGrant = (refreshToken: string) =>
    fetch(`${env.highlevelSimulator!.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: env.config.highlevel.clientId,
        client_secret: env.config.highlevel.clientSecret,
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        user_type: 'Location',
      }),
    });
  const storedRefreshToken = async (id: number) => {
    const { rows } = await env.pool.query(
      'SELECT refresh_token_enc, token_key_id, token_version, status FROM hl_installations WHERE id = $1',
      [id],
    );
    const keyring = loadKeyring(env.config, env.log);
    return {
      version: rows[0].token_version as number,
      status: rows[0].status as string,
      refresh: keyring.decrypt(rows[0].refresh_token_enc, rows[0].token_key_id, `hl_installations:${id}:refresh`),
    };
  };

  it('keeps the rotated refresh token: saved once the database is back, the old one spent', async () => {
    const { tokenStore, id } = await locationInstallation(env, { expiresInSeconds: -60 });
    const before = await storedRefreshToken(id);

    // The vendor answers, then the database goes away before our transaction writes and commits.
    const refresher: Refresher = async (inst) => {
      const res = await refreshGrant(inst.refreshToken!);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { access_token: string; refresh_token: string; expires_in: number };
      await stack.postgres.stop();
      restarted = new Promise((resolve) => setTimeout(resolve, 1500)).then(() => stack.postgres.start());
      return {
        accessToken: body.access_token,
        refreshToken: body.refresh_token,
        expiresInSeconds: body.expires_in,
      } satisfies TokenGrant;
    };

    const token = await tokenStore.refresh(id, refresher);
    await restarted;
    assert.equal(token.refreshed, true);

    const after = await storedRefreshToken(id);
    assert.equal(after.status, 'active');
    assert.ok(after.version > before.version);
    assert.notEqual(after.refresh, before.refresh);
    // The stored refresh token is the live one at the vendor; the old one is spent.
    assert.equal((await refreshGrant(before.refresh)).status, 401);
    assert.equal((await refreshGrant(after.refresh)).status, 200);
  });
});
