import {
  GHLAuthenticationError,
  GHLNetworkError,
  GHLNotFoundError,
  GHLRateLimitError,
  GHLServerError,
  GHLValidationError,
  HighLevel,
  MemorySessionStorage,
  type ISessionData,
} from '@gohighlevel/api-client';
import type { ValidateFunction } from 'ajv';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { freePort } from '../../src/dev/ports.js';
import { API_VERSION, startHighLevelSimulator, type HighLevelSimulator } from '../../src/simulators/highlevel/index.js';
import { startTestEnv, type TestEnv } from '../harness.js';
import { failureOf } from '../highlevel-fixtures.js';
import { specValidator } from '../highlevel-spec.js';

const REDIRECT_URI = 'https://opsflow.example/oauth/highlevel/callback';
const SCOPES = 'contacts.readonly contacts.write locations.readonly oauth.readonly oauth.write';
const RATE_LIMIT_HEADERS = [
  'limit-daily',
  'daily-remaining',
  'daily-reset',
  'interval-milliseconds',
  'max',
  'remaining',
];

/**
 * HighLevel's official Node SDK (`@gohighlevel/api-client`) pointed at the simulator: every HighLevel call Opsflow
 * makes, contact get/update/delete, token refresh through the SDK's own session storage, and its error classes.
 * Every answer the SDK receives is checked against the vendor's spec (path, status, body field types) and for the
 * rate-limit headers the SDK reads; a disagreement fails the test that made the call.
 */
describe('HighLevel official SDK against the simulator', () => {
  let env: TestEnv;
  let limited: HighLevelSimulator;
  let quota: HighLevelSimulator;
  const { schemaFor, operationOf } = specValidator();
  const disagreements: string[] = [];
  before(async () => {
    env = await startTestEnv({ workers: false, highlevelSimulator: true });
    const client = { id: env.config.highlevel.clientId, secret: env.config.highlevel.clientSecret };
    limited = await startHighLevelSimulator({
      port: 0,
      log: env.log,
      client,
      limits: { burst: 2, intervalMs: 60_000 },
    });
    quota = await startHighLevelSimulator({ port: 0, log: env.log, client, limits: { daily: 1 } });
  });
  after(async () => {
    await limited.stop();
    await quota.stop();
    await env.stop();
  });
  afterEach(() => assert.deepEqual(disagreements.splice(0), [], 'the simulator and the spec the SDK is built on'));

  /** Checks one raw answer, before the SDK turns it into a result or an error. */
  const conform = (method: string, url: string, status: number, headers: Record<string, unknown>, body: unknown) => {
    const path = new URL(url).pathname;
    const { file, path: template, statuses } = operationOf(method, path);
    const disagree = (what: string) => disagreements.push(`${method.toUpperCase()} ${path} ${status}: ${what}`);
    if (path !== '/oauth/token') {
      for (const h of RATE_LIMIT_HEADERS) {
        if (!/^\d+$/.test(String(headers[`x-ratelimit-${h}`]))) disagree(`no X-RateLimit-${h}`);
      }
    }
    if (statuses.includes(status)) {
      let validate: ValidateFunction | undefined;
      try {
        validate = schemaFor(file, template, method, status);
      } catch {
        return; // declared without a body schema (the search answer): nothing more to hold it to
      }
      if (!validate(body)) disagree(JSON.stringify(validate.errors));
      return;
    }
    // A refusal the spec does not list for the operation (404, 429, 5xx) still has HighLevel's error body.
    const { statusCode, message } = (body ?? {}) as { statusCode?: unknown; message?: unknown };
    if (status < 400 || statusCode !== status || !(typeof message === 'string' || Array.isArray(message))) {
      disagree(`undeclared answer ${JSON.stringify(body)}`);
    }
  };

  /** An SDK client as an app would configure it, its base URL moved to `url`, every answer checked. */
  const sdkFor = (url: string, options: { apiVersion?: string } = { apiVersion: API_VERSION }) => {
    const sessions = new MemorySessionStorage();
    const ghl = new HighLevel({
      clientId: env.config.highlevel.clientId,
      clientSecret: env.config.highlevel.clientSecret,
      sessionStorage: sessions,
      logLevel: 'none',
      ...options,
    });
    const http = ghl.getHttpClient();
    http.defaults.baseURL = url;
    const parse = [http.defaults.transformResponse ?? []].flat();
    http.defaults.transformResponse = [
      ...parse,
      function (this: { method?: string; baseURL?: string; url?: string }, data, headers, status) {
        conform(this.method!.toLowerCase(), `${this.baseURL}${this.url}`, status!, { ...headers }, data);
        return data as unknown;
      },
    ];
    return { ghl, sessions };
  };

  const ids = () => {
    const companyId = `co-${randomUUID().slice(0, 8)}`;
    return { companyId, locationId: `${companyId}-loc` };
  };

  /** Installs through the SDK's own authorization URL, the marketplace page and the SDK's code exchange. */
  const install = async (
    ghl: HighLevel,
    sessions: MemorySessionStorage,
    pick: { companyId: string; locationId?: string },
  ) => {
    const authorize = new URL(ghl.oauth.getAuthorizationUrl(env.config.highlevel.clientId, REDIRECT_URI, SCOPES));
    const page = new URL(`${authorize.pathname}${authorize.search}`, env.highlevelSimulator!.url);
    page.searchParams.set('companyId', pick.companyId);
    if (pick.locationId) page.searchParams.set('locationId', pick.locationId);
    const approved = await fetch(page, { redirect: 'manual' });
    const code = new URL(approved.headers.get('location')!).searchParams.get('code')!;
    const grant = (await ghl.oauth.getAccessToken({
      client_id: env.config.highlevel.clientId,
      client_secret: env.config.highlevel.clientSecret,
      grant_type: 'authorization_code',
      code,
      user_type: pick.locationId ? 'Location' : 'Company',
      redirect_uri: REDIRECT_URI,
    })) as ISessionData;
    await sessions.setSession(pick.locationId ?? pick.companyId, grant);
    return grant;
  };

  it('installs, then makes every HighLevel call Opsflow makes, as a location and as an agency', async () => {
    const { ghl, sessions } = sdkFor(env.highlevelSimulator!.url);
    const { companyId, locationId } = ids();
    const grant = await install(ghl, sessions, { companyId, locationId });
    assert.deepEqual([grant.userType, grant.locationId, grant.scope], ['Location', locationId, SCOPES]);

    assert.equal((await ghl.locations.getLocation({ locationId })).location?.id, locationId);
    const upserted = await ghl.contacts.upsertContact({ locationId, email: 'ada@example.com', firstName: 'Ada' });
    assert.equal(upserted.new, true);
    const found = (await ghl.contacts.searchContactsAdvanced({ locationId, pageLimit: 10 })) as { total: number };
    assert.equal(found.total, 1);
    assert.equal((await ghl.contacts.getContacts({ locationId, limit: 10 })).contacts?.[0]?.id, upserted.contact?.id);

    await install(ghl, sessions, { companyId });
    const installed = await ghl.oauth.getInstalledLocation({ companyId, appId: 'opsflow-app' });
    assert.deepEqual(
      installed.locations?.map((l) => [l._id, l.isInstalled]),
      [[locationId, true]],
    );
    const minted = await ghl.oauth.getLocationAccessToken({ companyId, locationId });
    assert.equal(minted.locationId, locationId);
  });

  it('gets, updates and deletes a contact', async () => {
    const { ghl, sessions } = sdkFor(env.highlevelSimulator!.url);
    const { companyId, locationId } = ids();
    await install(ghl, sessions, { companyId, locationId });
    const { contact } = await ghl.contacts.upsertContact({ locationId, email: 'grace@example.com' });
    const byId = { contactId: contact!.id! };
    const asLocation = { headers: { locationId } };

    assert.equal((await ghl.contacts.getContact(byId, asLocation)).contact?.email, 'grace@example.com');
    const updated = await ghl.contacts.updateContact(byId, { firstName: 'Grace' }, asLocation);
    assert.deepEqual([updated.succeded, updated.contact?.firstName], [true, 'Grace']);
    assert.equal((await ghl.contacts.deleteContact(byId, asLocation)).succeded, true);
    const gone = await failureOf(ghl.contacts.getContact(byId, asLocation), GHLValidationError);
    assert.equal(gone.statusCode, 400);
  });

  it('refreshes through its session storage: ahead of expiry, and after a 401', async () => {
    const { ghl, sessions } = sdkFor(env.highlevelSimulator!.url);
    const { companyId, locationId } = ids();
    const first = await install(ghl, sessions, { companyId, locationId });
    // Expiring within the SDK's 30 s margin: refreshed before the call.
    await sessions.setSession(locationId, { ...first, expires_in: 10 });
    await ghl.locations.getLocation({ locationId });
    const second = (await sessions.getSession(locationId))!;
    assert.notEqual(second.refresh_token, first.refresh_token);

    // The vendor no longer takes the stored access token while the session still looks fresh: 401, refresh, retry.
    await fetch(`${env.highlevelSimulator!.url}/__sim/seed`, {
      method: 'POST',
      body: JSON.stringify({
        installations: [
          {
            companyId,
            locationId,
            userType: 'Location',
            accessToken: second.access_token,
            refreshToken: second.refresh_token,
            accessExpiresAt: new Date(Date.now() - 1000).toISOString(),
          },
        ],
      }),
    });
    assert.equal((await ghl.locations.getLocation({ locationId })).location?.id, locationId);
    const third = (await sessions.getSession(locationId))!;
    assert.notEqual(third.refresh_token, second.refresh_token);
    const stats = (await (await fetch(`${env.highlevelSimulator!.url}/__sim/stats`)).json()) as {
      refreshesByInstallation: Record<string, number>;
      spentRefreshTokenReuse: number;
    };
    assert.equal(stats.refreshesByInstallation[`${companyId}:${locationId}`], 2);
    assert.equal(stats.spentRefreshTokenReuse, 0);
  });

  it('raises its error class for each refusal', async () => {
    const { ghl, sessions } = sdkFor(env.highlevelSimulator!.url);
    const { companyId, locationId } = ids();
    await install(ghl, sessions, { companyId, locationId });
    await install(ghl, sessions, { companyId });

    await ghl.contacts.createContact({ locationId, email: 'x@example.com' });
    const again = await failureOf(
      ghl.contacts.createContact({ locationId, email: 'x@example.com' }),
      GHLValidationError,
    );
    assert.equal((again.response as { meta?: { matchingField?: string } }).meta?.matchingField, 'email');
    const invalid = await failureOf(
      ghl.contacts.upsertContact({ locationId, firstName: 'No details' }),
      GHLValidationError,
    );
    assert.equal(invalid.statusCode, 422);
    const unknown = await failureOf(
      ghl.locations.getLocation(
        { locationId: 'no-such-location' },
        { headers: { companyId }, preferredTokenType: 'company' },
      ),
      GHLNotFoundError,
    );
    assert.equal(unknown.statusCode, 404);

    await sessions.setSession(locationId, { access_token: 'not-a-token', userType: 'Location' });
    await failureOf(ghl.locations.getLocation({ locationId }), GHLAuthenticationError);

    await fetch(`${env.highlevelSimulator!.url}/__sim/faults`, { method: 'POST', body: '{"rate5xx": 1}' });
    try {
      await failureOf(ghl.oauth.getInstalledLocation({ companyId, appId: 'opsflow-app' }), GHLServerError);
    } finally {
      await fetch(`${env.highlevelSimulator!.url}/__sim/faults`, { method: 'POST', body: '{"rate5xx": 0}' });
    }
    const offline = sdkFor(`http://127.0.0.1:${await freePort()}`);
    await offline.sessions.setSession(locationId, { access_token: 'any', userType: 'Location' });
    await failureOf(offline.ghl.locations.getLocation({ locationId }), GHLNetworkError);
  });

  /** An SDK client holding a session for a location installed on `sim`, with `calls` answered before the 429. */
  const limitedAt = async (sim: HighLevelSimulator, calls: number) => {
    const { ghl, sessions } = sdkFor(sim.url);
    const { companyId, locationId } = ids();
    const accessToken = `at-${locationId}`;
    await fetch(`${sim.url}/__sim/seed`, {
      method: 'POST',
      body: JSON.stringify({ installations: [{ companyId, locationId, userType: 'Location', accessToken }] }),
    });
    await sessions.setSession(locationId, { access_token: accessToken, userType: 'Location', expires_in: 86_399 });
    for (let n = 0; n < calls; n++) await ghl.locations.getLocation({ locationId });
    return (await failureOf(ghl.locations.getLocation({ locationId }), GHLRateLimitError)).rateLimit!;
  };

  it('reads the burst and the daily limit from the rate-limit headers of a 429', async () => {
    const burst = await limitedAt(limited, 2);
    assert.deepEqual([burst.scope, burst.max, burst.remaining, burst.intervalMs], ['burst', 2, 0, 60_000]);
    assert.ok(burst.dailyResetMs! > 0 && burst.dailyResetMs! <= 86_400_000, 'milliseconds to the daily reset');
    const daily = await limitedAt(quota, 1);
    assert.deepEqual([daily.scope, daily.dailyLimit, daily.dailyRemaining], ['daily', 1, 0]);
  });

  it('is refused, as the vendor refuses an unknown version, when left at its default Version header', async () => {
    const { ghl, sessions } = sdkFor(env.highlevelSimulator!.url, {});
    const { companyId, locationId } = ids();
    await install(ghl, sessions, { companyId, locationId });
    const refused = await failureOf(ghl.locations.getLocation({ locationId }), GHLAuthenticationError);
    assert.equal(refused.message, 'version header is invalid');
  });
});
