import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadKeyring } from '../../src/integrations/crypto.js';
import { createLogger } from '../../src/logger.js';
import { startTestEnv, type TestEnv } from '../harness.js';

interface ErrorAnswer {
  error: { code: string; message: string };
}

/** Every line the API and simulator log, at debug level. */
const lines: string[] = [];
const log = createLogger('debug', { write: (line: string) => void lines.push(line) });

describe('HighLevel OAuth install flow', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ api: true, workers: false, highlevelSimulator: true, log });
  });
  after(() => env.stop());

  /** A browser that keeps the API's cookies and follows nothing by itself. */
  const browser = () => {
    let cookie = '';
    return {
      async get(url: string) {
        const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
        const set = res.headers.get('set-cookie');
        if (set && new URL(url).origin === env.api!.url) cookie = set.split(';')[0]!;
        return { status: res.status, location: res.headers.get('location'), text: await res.text() };
      },
    };
  };

  /**
   * Begins an install and lets the user pick `locationId` on the marketplace page; answers the callback URL the
   * marketplace sends the browser to. The configured public URL is not the test API's port, so only its path and
   * query are kept.
   */
  const beginInstall = async (b: ReturnType<typeof browser>, pick: { companyId: string; locationId?: string }) => {
    const start = await b.get(`${env.api!.url}/oauth/highlevel/install`);
    assert.equal(start.status, 302);
    const authorize = new URL(start.location!);
    assert.equal(authorize.origin, env.highlevelSimulator!.url);
    assert.equal(authorize.pathname, '/oauth/chooselocation');
    assert.equal(authorize.searchParams.get('client_id'), env.config.highlevel.clientId);
    assert.equal(authorize.searchParams.get('response_type'), 'code');
    assert.match(authorize.searchParams.get('redirect_uri')!, /\/oauth\/highlevel\/callback$/);
    assert.ok((authorize.searchParams.get('state') ?? '').length >= 32, 'a long random state');
    authorize.searchParams.set('companyId', pick.companyId);
    if (pick.locationId) authorize.searchParams.set('locationId', pick.locationId);
    const chosen = await b.get(authorize.toString());
    assert.equal(chosen.status, 302);
    const back = new URL(chosen.location!);
    assert.equal(back.searchParams.get('state'), authorize.searchParams.get('state'), 'the state comes back');
    return { callback: `${env.api!.url}${back.pathname}${back.search}`, state: back.searchParams.get('state')! };
  };

  const installations = async (companyId: string) =>
    (await env.pool.query('SELECT * FROM hl_installations WHERE company_id = $1', [companyId])).rows;

  it('installs a location end to end: marketplace, code exchange, tokens stored encrypted, none in the answer', async () => {
    const b = browser();
    const companyId = `co-${randomUUID().slice(0, 8)}`;
    const { callback } = await beginInstall(b, { companyId, locationId: `${companyId}-loc` });
    const done = await b.get(callback);
    assert.equal(done.status, 200, done.text);
    const body = JSON.parse(done.text) as Record<string, unknown>;
    const [row] = await installations(companyId);
    assert.deepEqual(body, {
      installed: true,
      installationId: row.id,
      companyId,
      locationId: `${companyId}-loc`,
      userType: 'Location',
    });
    assert.equal(row.status, 'active');
    assert.ok(row.expires_at > new Date(Date.now() + 3600_000), 'expiry from the grant');

    const keyring = loadKeyring(env.config, env.log);
    const access = keyring.decrypt(row.access_token_enc, row.token_key_id, `hl_installations:${row.id}:access`);
    const refresh = keyring.decrypt(row.refresh_token_enc, row.token_key_id, `hl_installations:${row.id}:refresh`);
    assert.match(access, /^hl_at_/);
    assert.match(refresh, /^hl_rt_/);
    const code = new URL(callback).searchParams.get('code')!;
    for (const secret of [access, refresh, code]) {
      assert.ok(!done.text.includes(secret), 'a token in the answer');
      assert.ok(!lines.some((l) => l.includes(secret)), 'a token or the code in the logs');
    }
    assert.ok(
      lines.some((l) => l.includes('HighLevel installed through OAuth')),
      'the logs were captured',
    );
    const audit = await env.pool.query(
      `SELECT event_type, details->>'actor' AS actor FROM hl_audit_log WHERE location_id = $1`,
      [`${companyId}-loc`],
    );
    assert.deepEqual(audit.rows, [{ event_type: 'installation.created', actor: 'oauth' }]);

    // The same callback again (a replay, or the back button): the state was used once and is gone.
    const again = await b.get(callback);
    assert.equal(again.status, 400);
    assert.match((JSON.parse(again.text) as ErrorAnswer).error.message, /query\.state/);
    assert.equal((await installations(companyId)).length, 1);
  });

  it('refuses a callback whose state is not from an install begun in this browser, before calling HighLevel', async () => {
    const companyId = `co-${randomUUID().slice(0, 8)}`;
    const { callback } = await beginInstall(browser(), { companyId });
    // Another browser (an attacker's link in a victim's session): no state cookie.
    const other = await browser().get(callback);
    assert.equal(other.status, 400);
    const answer = JSON.parse(other.text) as ErrorAnswer;
    assert.equal(answer.error.code, 'invalid_state');
    assert.match(answer.error.message, /query\.state/);

    // A made-up state that the cookie agrees with (both forged): unknown.
    const forged = randomUUID();
    const res = await fetch(`${env.api!.url}/oauth/highlevel/callback?code=x&state=${forged}`, {
      headers: { cookie: `opsflow_hl_oauth_state=${forged}` },
    });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as ErrorAnswer).error.message, /query\.state: unknown/);
    assert.deepEqual(await installations(companyId), []);
  });

  it("installs from the marketplace's own Install button: a code and no state, the code good once", async () => {
    const companyId = `co-${randomUUID().slice(0, 8)}`;
    const b = browser();
    const listing = new URL('/oauth/chooselocation', env.highlevelSimulator!.url);
    listing.search = new URLSearchParams({
      response_type: 'code',
      client_id: env.config.highlevel.clientId,
      redirect_uri: `${env.config.api.publicUrl}/oauth/highlevel/callback`,
      companyId,
      locationId: `${companyId}-loc`,
    }).toString();
    const chosen = await b.get(listing.toString());
    assert.equal(chosen.status, 302);
    const back = new URL(chosen.location!);
    assert.equal(back.searchParams.get('state'), null, 'the marketplace sends no state of ours');
    const callback = `${env.api!.url}${back.pathname}${back.search}`;

    const done = await b.get(callback);
    assert.equal(done.status, 200, done.text);
    assert.equal((JSON.parse(done.text) as { locationId: string }).locationId, `${companyId}-loc`);
    // The same code again: HighLevel redeems a code once; nothing more is stored.
    const again = await b.get(callback);
    assert.equal(again.status, 400);
    assert.match(again.text, /query\.code/);
    assert.equal((await installations(companyId)).length, 1);
  });

  it('refuses an expired state', async () => {
    const b = browser();
    const companyId = `co-${randomUUID().slice(0, 8)}`;
    const { callback } = await beginInstall(b, { companyId, locationId: `${companyId}-loc` });
    await env.pool.query(`UPDATE oauth_states SET expires_at = now() - interval '1 second'`);
    const res = await b.get(callback);
    assert.equal(res.status, 400);
    assert.match((JSON.parse(res.text) as ErrorAnswer).error.message, /query\.state: expired/);
    assert.deepEqual(await installations(companyId), []);
  });

  it('names the missing field', async () => {
    const res = await env.api!.request<ErrorAnswer>('GET', '/oauth/highlevel/callback?state=abc', { token: null });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /query\.code/);
    const bad = await env.api!.request<ErrorAnswer>('GET', '/oauth/highlevel/install?userType=Robot', {
      token: null,
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /query\.userType/);
  });

  it('answers 400 naming query.code when HighLevel refuses the code, 502 when HighLevel is down; stores nothing', async () => {
    const b = browser();
    const companyId = `co-${randomUUID().slice(0, 8)}`;
    const { callback } = await beginInstall(b, { companyId, locationId: `${companyId}-loc` });
    const url = new URL(callback);
    url.searchParams.set('code', 'code_not-issued');
    const res = await b.get(url.toString());
    assert.equal(res.status, 400);
    const answer = JSON.parse(res.text) as ErrorAnswer;
    assert.equal(answer.error.code, 'invalid_code');
    assert.match(answer.error.message, /query\.code: HighLevel refused the authorization code \(.*invalid or expired/);

    const faults = (body: unknown) =>
      fetch(`${env.highlevelSimulator!.url}/__sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const down = await beginInstall(b, { companyId, locationId: `${companyId}-loc` });
    await faults({ outage: true });
    try {
      const unavailable = await b.get(down.callback);
      assert.equal(unavailable.status, 502);
      const failed = JSON.parse(unavailable.text) as ErrorAnswer;
      assert.equal(failed.error.code, 'vendor_error');
      assert.match(failed.error.message, /HighLevel did not exchange the authorization code/);
    } finally {
      await faults({ outage: false });
    }
    assert.deepEqual(await installations(companyId), []);
  });

  it('documents both routes in /openapi.json', async () => {
    const res = await env.api!.request<{ paths: Record<string, unknown> }>('GET', '/openapi.json', { token: null });
    assert.ok(res.body.paths['/oauth/highlevel/install']);
    assert.ok(res.body.paths['/oauth/highlevel/callback']);
  });
});
