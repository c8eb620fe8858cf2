import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ErrorClass, IntegrationError } from '../../src/integrations/errors.js';
import { createHighLevelServices } from '../../src/integrations/highlevel/index.js';
import { API_VERSION } from '../../src/simulators/highlevel/index.js';
import { startTestEnv, type TestEnv } from '../harness.js';
import { approvedInstall, failureOf, locationInstallation, storedTokens } from '../highlevel-fixtures.js';

const REDIRECT_URI = 'https://opsflow.example/oauth/highlevel/callback';
const RATE_LIMIT_HEADERS = [
  'x-ratelimit-limit-daily',
  'x-ratelimit-daily-remaining',
  'x-ratelimit-daily-reset',
  'x-ratelimit-interval-milliseconds',
  'x-ratelimit-max',
  'x-ratelimit-remaining',
];

/** What official HighLevel clients found the simulator doing differently from the vendor, each now as the vendor. */
describe('HighLevel simulator answers as the vendor does', () => {
  let env: TestEnv;
  let sim: string;
  before(async () => {
    env = await startTestEnv({ workers: false, highlevelSimulator: true });
    sim = env.highlevelSimulator!.url;
  });
  after(() => env.stop());

  const ids = () => {
    const companyId = `co-${randomUUID().slice(0, 8)}`;
    return { companyId, locationId: `${companyId}-loc` };
  };
  /** Opsflow's own client, and an installation stored from a grant exchanged through it. */
  const installed = async (pick: { companyId: string; locationId?: string; scope?: string }) => {
    const services = createHighLevelServices({ config: env.config, pool: env.pool, log: env.log });
    const code = await approvedInstall(env, { ...pick, redirectUri: REDIRECT_URI });
    const exchanged = await services.highlevel.exchangeCode(code, REDIRECT_URI);
    const id = await services.tokenStore.upsertInstallation({
      companyId: exchanged.companyId!,
      locationId: exchanged.locationId,
      userType: exchanged.locationId ? 'Location' : 'Company',
      grant: exchanged.grant,
      actor: 'oauth',
    });
    return { ...services, id, exchanged };
  };
  const api = (path: string, init: RequestInit & { token?: string; version?: string | null } = {}) =>
    fetch(`${sim}${path}`, {
      ...init,
      headers: {
        'content-type': 'application/json',
        ...(init.version === null ? {} : { version: init.version ?? API_VERSION }),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      },
    });

  it('gets, updates and deletes a contact by id, as the spec describes those paths', async () => {
    const { highlevel, id, locationId } = await locationInstallation(env);
    const { contact } = await highlevel.upsertContact(id, { locationId, email: 'grace@example.com', firstName: 'G' });
    const token = (await storedTokens(env, id)).access;

    const got = await api(`/contacts/${contact!.id}`, { token });
    assert.equal(got.status, 200);
    assert.equal(((await got.json()) as { contact: { email: string } }).contact.email, 'grace@example.com');

    const updated = await api(`/contacts/${contact!.id}`, {
      method: 'PUT',
      token,
      body: JSON.stringify({ firstName: 'Grace', lastName: 'Hopper' }),
    });
    assert.equal(updated.status, 200);
    const body = (await updated.json()) as { succeded: boolean; contact: { firstName: string; email: string } };
    assert.deepEqual([body.succeded, body.contact.firstName, body.contact.email], [true, 'Grace', 'grace@example.com']);
    const moved = await api(`/contacts/${contact!.id}`, {
      method: 'PUT',
      token,
      body: JSON.stringify({ locationId: 'elsewhere' }),
    });
    assert.equal(moved.status, 422);

    const deleted = await api(`/contacts/${contact!.id}`, { method: 'DELETE', token });
    assert.deepEqual([deleted.status, await deleted.json()], [200, { succeded: true }]);
    const gone = await api(`/contacts/${contact!.id}`, { token });
    assert.equal(gone.status, 400);
    assert.equal(((await gone.json()) as { message: string }).message, 'Contact not found');
  });

  it('redeems a code only with the redirect URI and user type it was issued for', async () => {
    const { highlevel } = createHighLevelServices({ config: env.config, pool: env.pool, log: env.log });
    const { companyId, locationId } = ids();
    const code = await approvedInstall(env, { companyId, locationId, redirectUri: REDIRECT_URI });

    const elsewhere = await failureOf(
      highlevel.exchangeCode(code, 'https://attacker.example/cb', 'Location'),
      IntegrationError,
    );
    assert.deepEqual([elsewhere.status, elsewhere.permanent], [401, true]);
    assert.match(elsewhere.message, /redirect_uri/);
    const asAgency = await failureOf(highlevel.exchangeCode(code, REDIRECT_URI, 'Company'), IntegrationError);
    assert.match(asAgency.message, /Location install, not Company/);

    // Refusals leave the code to its rightful holder, who redeems it once.
    const exchanged = await highlevel.exchangeCode(code, REDIRECT_URI, 'Location');
    assert.deepEqual([exchanged.companyId, exchanged.locationId], [companyId, locationId]);
    assert.equal(
      (await failureOf(highlevel.exchangeCode(code, REDIRECT_URI, 'Location'), IntegrationError)).status,
      401,
    );
  });

  it('creates the location an install names, which the agency then sees installed', async () => {
    const { companyId, locationId } = ids();
    const location = await installed({ companyId, locationId });
    assert.equal((await location.highlevel.getLocation(location.id, locationId)).location?.companyId, companyId);

    const agency = await installed({ companyId });
    const { locations } = await agency.highlevel.installedLocations(agency.id, { companyId, appId: 'opsflow-app' });
    assert.deepEqual(
      locations?.map((l) => [l._id, l.isInstalled]),
      [[locationId, true]],
    );
  });

  it('grants the scopes the install asked for, and refuses calls outside them', async () => {
    const { companyId, locationId } = ids();
    const scope = 'contacts.readonly locations.readonly';
    const code = await approvedInstall(env, { companyId, locationId, scope, redirectUri: REDIRECT_URI });
    const grant = await fetch(`${sim}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: env.config.highlevel.clientId,
        client_secret: env.config.highlevel.clientSecret,
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
      }),
    });
    assert.equal(((await grant.json()) as { scope: string }).scope, scope);

    const readOnly = await installed({ companyId, locationId, scope });
    assert.equal((await readOnly.highlevel.searchContacts(readOnly.id, { locationId })).total, 0);
    const refused = await failureOf(
      readOnly.highlevel.upsertContact(readOnly.id, { locationId, email: 'a@b.example' }),
      IntegrationError,
    );
    assert.equal(refused.errorClass, ErrorClass.AuthFailed);
    assert.match(refused.message, /not authorized for this scope/);
  });

  it('sends the rate-limit headers, daily reset included, on refusals and outages too', async () => {
    const { highlevel, id, locationId } = await locationInstallation(env);
    const token = (await storedTokens(env, id)).access;
    const outage = (on: boolean) =>
      fetch(`${sim}/__sim/faults`, { method: 'POST', body: JSON.stringify({ outage: on }) });
    const answers = [
      await api(`/contacts/search`, { method: 'POST', token, body: JSON.stringify({ locationId, page: 10_001 }) }),
      await api(`/locations/${locationId}`, { token: 'not-a-token' }),
    ];
    await outage(true);
    try {
      answers.push(await api(`/locations/${locationId}`, { token }));
    } finally {
      await outage(false);
    }
    assert.deepEqual(
      answers.map((a) => a.status),
      [400, 401, 503],
    );
    for (const answer of answers) {
      for (const h of RATE_LIMIT_HEADERS)
        assert.match(answer.headers.get(h) ?? '', /^\d+$/, `${h} on ${answer.status}`);
    }
    const resetMs = Number(answers[0]!.headers.get('x-ratelimit-daily-reset'));
    const midnight = new Date();
    midnight.setUTCHours(24, 0, 0, 0);
    assert.ok(Math.abs(Date.now() + resetMs - midnight.getTime()) < 60_000, 'resets at midnight UTC');
    // The caller's own counts: the refused search spent one request of the burst.
    await highlevel.getLocation(id, locationId);
    const later = await api(`/locations/${locationId}`, { token });
    assert.ok(Number(later.headers.get('x-ratelimit-remaining')) < Number(later.headers.get('x-ratelimit-max')));
  });

  it('refuses a duplicate contact naming the existing contact and the field that matched', async () => {
    const { highlevel, id, locationId } = await locationInstallation(env);
    const { contact } = await highlevel.upsertContact(id, { locationId, email: 'ada@example.com', firstName: 'Ada' });
    const token = (await storedTokens(env, id)).access;
    const again = await api('/contacts/', {
      method: 'POST',
      token,
      body: JSON.stringify({ locationId, email: 'ada@example.com' }),
    });
    assert.equal(again.status, 400);
    assert.deepEqual(((await again.json()) as { meta: unknown }).meta, {
      contactName: 'Ada',
      contactId: contact!.id,
      matchingField: 'email',
    });
  });

  it('refuses a missing or unknown Version header with 401, as the vendor does, and takes the spec’s one', async () => {
    const { id, locationId } = await locationInstallation(env);
    const token = (await storedTokens(env, id)).access;
    const missing = await api(`/locations/${locationId}`, { token, version: null });
    assert.equal(missing.status, 401);
    assert.equal(((await missing.json()) as { message: string }).message, 'version header was not found.');
    const unknown = await api(`/locations/${locationId}`, { token, version: '2020-01-01' });
    assert.equal(unknown.status, 401);
    assert.equal(((await unknown.json()) as { message: string }).message, 'version header is invalid');
    assert.equal((await api(`/locations/${locationId}`, { token })).status, 200);
  });
});
