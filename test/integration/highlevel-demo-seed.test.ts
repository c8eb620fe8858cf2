import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTokenActivities } from '../../src/activities/integrations/tokens.js';
import { registerStoredInstallations, seedInstallations } from '../../src/dev/seed/installations.js';
import { createHighLevelServices } from '../../src/integrations/highlevel/index.js';
import { startTestEnv, type TestEnv } from '../harness.js';

describe('HighLevel demo seed', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ workers: false, highlevelSimulator: true });
  });
  after(() => env.stop());

  it('seeds the documented installation mix whose due tokens really refresh, idempotently', async () => {
    const counts = await seedInstallations({
      pool: env.pool,
      config: env.config,
      log: env.log,
      simulators: { highlevel: env.highlevelSimulator!.url },
    });
    assert.deepEqual(counts, { installations: 13, securityEvents: 40, webhookDeliveries: 30 });
    const { rows } = await env.pool.query(
      'SELECT status, count(*)::int AS n FROM hl_installations GROUP BY status ORDER BY status',
    );
    assert.deepEqual(rows, [
      { status: 'active', n: 10 },
      { status: 'error', n: 1 },
      { status: 'expired', n: 1 },
      { status: 'revoked', n: 1 },
    ]);
    const deliveries = await env.pool.query(
      'SELECT status, count(*)::int AS n FROM webhook_deliveries GROUP BY status ORDER BY status',
    );
    assert.deepEqual(deliveries.rows, [
      { status: 'delivered', n: 20 },
      { status: 'failed', n: 5 },
      { status: 'pending', n: 5 },
    ]);

    const { highlevel, tokenStore } = createHighLevelServices({ config: env.config, pool: env.pool, log: env.log });
    const activities = createTokenActivities({
      config: env.config,
      log: env.log,
      pool: env.pool,
      tokenStore,
      highlevel,
    });
    const due = await activities.listExpiringInstallations({ withinSeconds: 24 * 3600 });
    assert.deepEqual(
      due.map((d) => d.locationId),
      ['demo-loc-1-10', 'demo-loc-1-07', 'demo-loc-1-08', 'demo-loc-1-09'],
    );
    for (const d of due) {
      const first = await activities.refreshInstallationToken({
        installationId: d.installationId,
        withinSeconds: 86_400 - 600,
      });
      assert.equal(first.outcome, 'refreshed');
      // A retried activity finds the token fresh and does not spend the rotated refresh token again.
      const again = await activities.refreshInstallationToken({
        installationId: d.installationId,
        withinSeconds: 3600,
      });
      assert.equal(again.outcome, 'skipped');
    }
    assert.deepEqual(await activities.listExpiringInstallations({ withinSeconds: 3600 }), []);

    // A restarted demo: the simulator starts empty and is given the stored installations again.
    await fetch(`${env.highlevelSimulator!.url}/__sim/reset`, { method: 'POST' });
    await registerStoredInstallations({
      pool: env.pool,
      config: env.config,
      log: env.log,
      simulatorUrl: env.highlevelSimulator!.url,
    });
    const again = await activities.refreshInstallationToken({
      installationId: due[0]!.installationId,
      withinSeconds: 2 * 86_400,
    });
    assert.equal(again.outcome, 'refreshed');
  });
});
