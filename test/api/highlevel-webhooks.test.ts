import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestEnv, type TestEnv } from '../harness.js';

interface SimDelivery {
  status: number;
  body: string;
  payload: Record<string, unknown>;
  signature: string;
}

describe('incoming HighLevel webhooks', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ api: true, workers: false, highlevelSimulator: true });
  });
  after(() => env.stop());

  /** Asks the simulator to sign and send an event to Opsflow, as HighLevel does. */
  const send = async (event: Record<string, unknown>): Promise<SimDelivery> => {
    const res = await fetch(`${env.highlevelSimulator!.url}/__sim/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ targetUrl: `${env.api!.url}/webhooks/highlevel`, ...event }),
    });
    return (await res.json()) as SimDelivery;
  };
  const post = (body: string, signature?: string) =>
    env.api!.request('POST', '/webhooks/highlevel', {
      token: null,
      body,
      headers: signature ? { 'x-ghl-signature': signature } : {},
    });
  const counts = async () => {
    const { rows } = await env.pool.query(`SELECT
      (SELECT count(*)::int FROM hl_installations) AS installations,
      (SELECT count(*)::int FROM hl_webhook_events) AS events,
      (SELECT count(*)::int FROM hl_audit_log) AS audit`);
    return rows[0] as { installations: number; events: number; audit: number };
  };

  it('creates an installation from a signed INSTALL and revokes it on UNINSTALL', async () => {
    const companyId = `co-${randomUUID().slice(0, 8)}`;
    const install = await send({ type: 'INSTALL', companyId, locationId: 'loc-install' });
    assert.equal(install.status, 200, install.body);
    const { rows } = await env.pool.query(
      'SELECT id, status, user_type FROM hl_installations WHERE company_id = $1 AND location_id = $2',
      [companyId, 'loc-install'],
    );
    assert.deepEqual([rows[0].status, rows[0].user_type], ['active', 'Location']);
    const audit = await env.pool.query(`SELECT event_type FROM hl_audit_log WHERE location_id = 'loc-install'`);
    assert.deepEqual(
      audit.rows.map((r) => r.event_type),
      ['installation.created'],
    );

    const uninstall = await send({ type: 'UNINSTALL', companyId, locationId: 'loc-install' });
    assert.equal(uninstall.status, 200, uninstall.body);
    const after = await env.pool.query('SELECT status FROM hl_installations WHERE id = $1', [rows[0].id]);
    assert.equal(after.rows[0].status, 'revoked');
  });

  it('refuses a replayed webhook with 401 and stores nothing', async () => {
    const first = await send({ type: 'INSTALL', companyId: `co-${randomUUID().slice(0, 8)}`, locationId: 'loc-r' });
    assert.equal(first.status, 200);
    const before = await counts();
    const replay = await post(JSON.stringify(first.payload), first.signature);
    assert.equal(replay.status, 401);
    assert.deepEqual(await counts(), before);
  });

  it('refuses forged, unsigned, tampered and stale webhooks with 401 and stores nothing', async () => {
    const before = await counts();
    const payload = JSON.stringify({
      type: 'INSTALL',
      companyId: 'co-forged',
      locationId: 'loc-forged',
      webhookId: randomUUID(),
      timestamp: new Date().toISOString(),
    });
    const attacker = generateKeyPairSync('ed25519').privateKey;
    const forged = sign(null, Buffer.from(payload), attacker).toString('base64');
    assert.equal((await post(payload, forged)).status, 401);
    assert.equal((await post(payload)).status, 401);

    const genuine = await send({ type: 'INSTALL', companyId: 'co-tamper', locationId: 'loc-t' });
    const tampered = JSON.stringify({ ...genuine.payload, webhookId: randomUUID(), companyId: 'co-evil' });
    assert.equal((await post(tampered, genuine.signature)).status, 401);

    const stale = await send({
      type: 'INSTALL',
      companyId: 'co-stale',
      locationId: 'loc-s',
      timestamp: new Date(Date.now() - 60 * 60_000).toISOString(),
    });
    assert.equal(stale.status, 401);

    const now = await counts();
    // Only the genuine INSTALL went through: one installation, one event, one audit row.
    assert.deepEqual(now, {
      installations: before.installations + 1,
      events: before.events + 1,
      audit: before.audit + 1,
    });
    const { rows } = await env.pool.query(
      `SELECT company_id FROM hl_installations WHERE company_id IN ('co-forged', 'co-evil', 'co-stale')`,
    );
    assert.deepEqual(rows, []);
  });
});
