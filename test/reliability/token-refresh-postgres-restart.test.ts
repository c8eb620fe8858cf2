/**
 * Fault: PostgreSQL goes away between HighLevel rotating an installation's refresh token and our transaction saving
 * the new pair. The vendor has already spent the old refresh token, so losing the new one would lock the
 * installation out until someone reinstalls the app. A private stack, since the database server is restarted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Refresher, TokenGrant } from '../../src/integrations/token-store.js';
import { startTestEnv, type TestEnv } from '../harness.js';
import { locationInstallation, refreshGrant, storedTokens } from '../highlevel-fixtures.js';
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

  const storedRefreshToken = (id: number) => storedTokens(env, id);

  it('keeps the rotated refresh token: saved once the database is back, the old one spent', async () => {
    const { tokenStore, id } = await locationInstallation(env, { expiresInSeconds: -60 });
    const before = await storedRefreshToken(id);

    // The vendor answers, then the database goes away before our transaction writes and commits.
    const refresher: Refresher = async (inst) => {
      const res = await refreshGrant(env, inst.refreshToken!);
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
    assert.equal((await refreshGrant(env, before.refresh)).status, 401);
    assert.equal((await refreshGrant(env, after.refresh)).status, 200);
  });
});
