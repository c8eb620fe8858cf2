import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SECURITY_EVENT, type SecurityEventType } from '../../src/api/security-events.js';
import { eventually, startTestEnv, type TestEnv } from '../harness.js';

interface EventRow {
  type: string;
  source_ip: string | null;
  method: string;
  route: string;
  actor: string | null;
  details: Record<string, unknown>;
}

describe('security events of refused requests', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ api: true, workers: false, highlevelSimulator: true });
  });
  after(() => env.stop());

  /** Waits for the (unawaited) write of `type`, then checks it is the only one and holds none of `secrets`. */
  const theEvent = async (type: SecurityEventType, secrets: string[]): Promise<EventRow> => {
    const rows = await eventually(
      async () => {
        const res = await env.pool.query<EventRow>(
          'SELECT type, source_ip, method, route, actor, details FROM security_events WHERE type = $1',
          [type],
        );
        return res.rows.length > 0 && res.rows;
      },
      10_000,
      `a ${type} row`,
    );
    assert.equal(rows.length, 1, `one ${type} row`);
    const text = JSON.stringify(rows[0]);
    for (const secret of secrets) assert.ok(!text.includes(secret), `${type} row holds a presented secret: ${text}`);
    return rows[0]!;
  };

  it('records a wrong API token as auth.token_invalid with the source IP and route, never the token', async () => {
    const token = `wrong-${randomUUID()}`;
    const res = await env.api!.request('GET', '/incidents?limit=5', { token });
    assert.equal(res.status, 401);
    const row = await theEvent(SECURITY_EVENT.tokenInvalid, [token, token.slice(0, 12)]);
    assert.deepEqual([row.source_ip, row.method, row.route, row.actor], ['127.0.0.1', 'GET', '/incidents', null]);
  });

  it('records a call without a token as auth.token_missing', async () => {
    assert.equal((await env.api!.request('GET', '/incidents', { token: null })).status, 401);
    const row = await theEvent(SECURITY_EVENT.tokenMissing, []);
    assert.deepEqual([row.source_ip, row.route], ['127.0.0.1', '/incidents']);
  });

  it('records a viewer token on a mutating route as auth.role_forbidden with its label, not the token', async () => {
    const viewer = env.api!.viewerToken;
    const res = await env.api!.request('POST', '/incidents', { token: viewer, body: {} });
    assert.equal(res.status, 403);
    const row = await theEvent(SECURITY_EVENT.roleForbidden, [viewer]);
    assert.deepEqual([row.method, row.route], ['POST', '/incidents']);
    assert.match(row.actor ?? '', /^viewer:[0-9a-f]{8}$/);
  });

  it('records a webhook with a bad signature as webhook.signature_invalid, never the signature', async () => {
    const payload = JSON.stringify({
      type: 'INSTALL',
      companyId: 'co-forged',
      webhookId: randomUUID(),
      timestamp: new Date().toISOString(),
    });
    const forged = sign(null, Buffer.from(payload), generateKeyPairSync('ed25519').privateKey).toString('base64');
    const res = await env.api!.request('POST', '/webhooks/highlevel', {
      token: null,
      body: payload,
      headers: { 'x-ghl-signature': forged },
    });
    assert.equal(res.status, 401);
    const row = await theEvent(SECURITY_EVENT.webhookSignatureInvalid, [forged, forged.slice(0, 16)]);
    assert.deepEqual([row.source_ip, row.method, row.route], ['127.0.0.1', 'POST', '/webhooks/highlevel']);
  });

  it('records a replayed webhook id as webhook.replayed', async () => {
    const sent = await fetch(`${env.highlevelSimulator!.url}/__sim/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        targetUrl: `${env.api!.url}/webhooks/highlevel`,
        type: 'INSTALL',
        companyId: `co-${randomUUID().slice(0, 8)}`,
        locationId: 'loc-replay',
      }),
    });
    const first = (await sent.json()) as { status: number; payload: { webhookId: string }; signature: string };
    assert.equal(first.status, 200);
    const replay = await env.api!.request('POST', '/webhooks/highlevel', {
      token: null,
      body: JSON.stringify(first.payload),
      headers: { 'x-ghl-signature': first.signature },
    });
    assert.equal(replay.status, 401);
    const row = await theEvent(SECURITY_EVENT.webhookReplayed, [first.signature]);
    assert.equal(row.details.webhookId, first.payload.webhookId);
  });

  it('records an OAuth callback with a bad state as oauth.state_invalid, never the state or the code', async () => {
    const state = randomUUID();
    const code = randomUUID();
    const res = await env.api!.request('GET', `/oauth/highlevel/callback?code=${code}&state=${state}`, { token: null });
    assert.equal(res.status, 400);
    const row = await theEvent(SECURITY_EVENT.oauthStateInvalid, [state, code]);
    assert.deepEqual([row.source_ip, row.route], ['127.0.0.1', '/oauth/highlevel/callback']);
  });
});
