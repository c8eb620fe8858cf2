import assert from 'node:assert/strict';
import type { ValidateFunction } from 'ajv';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { API_VERSION } from '../../src/simulators/highlevel/index.js';
import { startTestEnv, type TestEnv } from '../harness.js';
import { locationInstallation } from '../highlevel-fixtures.js';
import { specValidator } from '../highlevel-spec.js';

describe('HighLevel simulator against the official specs', () => {
  let env: TestEnv;
  let sim: string;
  let schemaFor: ReturnType<typeof specValidator>['schemaFor'];
  before(async () => {
    env = await startTestEnv({ workers: false, highlevelSimulator: true });
    sim = env.highlevelSimulator!.url;
    schemaFor = specValidator().schemaFor;
  });
  after(() => env.stop());

  const check = (validate: ValidateFunction, body: unknown) =>
    assert.ok(validate(body), `${JSON.stringify(validate.errors)}\n${JSON.stringify(body)}`);
  const call = async (path: string, init: RequestInit & { token?: string } = {}) => {
    const res = await fetch(`${sim}${path}`, {
      ...init,
      headers: {
        version: API_VERSION,
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.headers as Record<string, string>),
      },
    });
    for (const h of ['limit-daily', 'daily-remaining', 'daily-reset', 'interval-milliseconds', 'max', 'remaining']) {
      if (path !== '/oauth/token') assert.ok(res.headers.get(`x-ratelimit-${h}`), `X-RateLimit-${h} on ${path}`);
    }
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const form = (fields: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });

  it('answers OAuth token grants and their errors as the spec describes', async () => {
    const client = { client_id: env.config.highlevel.clientId, client_secret: env.config.highlevel.clientSecret };
    const companyId = `co-${randomUUID().slice(0, 8)}`;
    await fetch(`${sim}/__sim/seed`, {
      method: 'POST',
      body: JSON.stringify({
        codes: [{ code: 'code-1', companyId, locationId: null, userType: 'Company' }],
        locations: [{ id: `${companyId}-loc`, companyId, name: 'Spec location' }],
      }),
    });
    const granted = await call('/oauth/token', form({ ...client, grant_type: 'authorization_code', code: 'code-1' }));
    assert.equal(granted.status, 200);
    check(schemaFor('oauth.json', '/oauth/token', 'post', 200), granted.body);

    const refreshed = await call(
      '/oauth/token',
      form({ ...client, grant_type: 'refresh_token', refresh_token: String(granted.body.refresh_token) }),
    );
    check(schemaFor('oauth.json', '/oauth/token', 'post', 200), refreshed.body);
    const spent = await call(
      '/oauth/token',
      form({ ...client, grant_type: 'refresh_token', refresh_token: String(granted.body.refresh_token) }),
    );
    assert.equal(spent.status, 401);
    check(schemaFor('oauth.json', '/oauth/token', 'post', 401), spent.body);
    const incomplete = await call('/oauth/token', form({ client_id: client.client_id }));
    assert.equal(incomplete.status, 422);
    assert.ok(Array.isArray(incomplete.body.message));
    check(schemaFor('oauth.json', '/oauth/token', 'post', 422), incomplete.body);

    const agency = String(refreshed.body.access_token);
    const minted = await call('/oauth/locationToken', {
      ...form({ companyId, locationId: `${companyId}-loc` }),
      token: agency,
    });
    assert.equal(minted.status, 200);
    check(schemaFor('oauth.json', '/oauth/locationToken', 'post', 200), minted.body);
    const installed = await call(`/oauth/installedLocations?companyId=${companyId}&appId=opsflow-app`, {
      token: agency,
    });
    assert.equal(installed.status, 200);
    check(schemaFor('oauth.json', '/oauth/installedLocations', 'get', 200), installed.body);
    const noVersion = await fetch(`${sim}/oauth/installedLocations?companyId=${companyId}&appId=a`, {
      headers: { authorization: `Bearer ${agency}` },
    });
    assert.equal(noVersion.status, 401);
    check(schemaFor('oauth.json', '/oauth/installedLocations', 'get', 401), await noVersion.json());
  });

  it('answers locations and contacts as the spec describes, through the client too', async () => {
    const { highlevel, id, locationId } = await locationInstallation(env);
    check(
      schemaFor('locations.json', '/locations/{locationId}', 'get', 200),
      await highlevel.getLocation(id, locationId),
    );
    const upserted = await highlevel.upsertContact(id, { locationId, email: 'ada@example.com', firstName: 'Ada' });
    check(schemaFor('contacts.json', '/contacts/upsert', 'post', 200), upserted);
    assert.equal(upserted.new, true);
    assert.equal((await highlevel.upsertContact(id, { locationId, email: 'ada@example.com' })).new, false);
    check(schemaFor('contacts.json', '/contacts/', 'get', 200), await highlevel.listContacts(id, { locationId }));

    const unauthorized = await call(`/locations/${locationId}`, { token: 'not-a-token' });
    assert.equal(unauthorized.status, 401);
    check(schemaFor('locations.json', '/locations/{locationId}', 'get', 401), unauthorized.body);
  });

  it('pages contact search by page up to 10,000 records and by searchAfter beyond', async () => {
    const { highlevel, id, locationId } = await locationInstallation(env);
    await fetch(`${sim}/__sim/seed`, {
      method: 'POST',
      body: JSON.stringify({ contacts: [{ locationId, count: 10_050 }] }),
    });
    await assert.rejects(highlevel.searchContacts(id, { locationId, pageLimit: 500, page: 21 }), /searchAfter/);
    const seen = new Set<string>();
    let searchAfter: [number, string] | undefined;
    for (let page = 0; page < 30; page++) {
      const { contacts, total } = await highlevel.searchContacts(id, { locationId, pageLimit: 500, searchAfter });
      assert.equal(total, 10_050);
      for (const c of contacts) seen.add(c.id!);
      if (contacts.length < 500) break;
      searchAfter = contacts.at(-1)!.searchAfter;
    }
    assert.equal(seen.size, 10_050);
  });
});
