import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../src/dev/ports.js';
import { ErrorClass, IntegrationError, toApplicationFailure } from '../../src/integrations/errors.js';
import { createHighLevelServices } from '../../src/integrations/highlevel/index.js';
import { startHighLevelSimulator, type HighLevelSimulator } from '../../src/simulators/highlevel/index.js';
import { startTestEnv, type TestEnv } from '../harness.js';
import { failureOf, locationInstallation } from '../highlevel-fixtures.js';

/** Long enough that a loaded machine still makes the burst within one window. */
const INTERVAL_MS = 1500;

describe('HighLevel client error classes', () => {
  let env: TestEnv;
  let quotaSim: HighLevelSimulator;
  before(async () => {
    env = await startTestEnv({
      workers: false,
      highlevelSimulator: { limits: { burst: 3, intervalMs: INTERVAL_MS } },
    });
    quotaSim = await startHighLevelSimulator({ port: 0, log: env.log, limits: { daily: 2 } });
  });
  after(async () => {
    await quotaSim.stop();
    await env.stop();
  });

  const setup = (baseUrl?: string, fixture: { revokedAtVendor?: boolean } = {}) =>
    locationInstallation(env, { baseUrl, ...fixture });
  const classOf = (call: Promise<unknown>) => failureOf(call, IntegrationError);
  const faults = (body: object) =>
    fetch(`${env.highlevelSimulator!.url}/__sim/faults`, { method: 'POST', body: JSON.stringify(body) });

  it('classifies a burst 429 as RateLimited with the vendor interval, and succeeds once that wait is over', async () => {
    const { highlevel, id, locationId } = await setup();
    await Promise.all([1, 2, 3].map(() => highlevel.getLocation(id, locationId)));
    const err = await classOf(highlevel.getLocation(id, locationId));
    assert.equal(err.errorClass, ErrorClass.RateLimited);
    assert.equal(err.retryAfterMs, INTERVAL_MS);
    const failure = toApplicationFailure(err) as { nonRetryable: boolean; nextRetryDelay: unknown; type: string };
    assert.deepEqual([failure.type, failure.nonRetryable, failure.nextRetryDelay], ['RateLimited', false, INTERVAL_MS]);
    await new Promise((r) => setTimeout(r, err.retryAfterMs)); // waiting as the vendor told is the behaviour under test
    assert.equal((await highlevel.getLocation(id, locationId)).location?.id, locationId);
    const { rows } = await env.pool.query(
      `SELECT calls, rate_limit_hits FROM api_usage WHERE integration = 'highlevel' AND day = current_date`,
    );
    assert.ok(rows[0].calls >= 5 && rows[0].rate_limit_hits >= 1);
  });

  it('classifies an exhausted daily quota as QuotaExhausted, permanent until the reset', async () => {
    const { highlevel, id, locationId } = await setup(quotaSim.url);
    await highlevel.getLocation(id, locationId);
    await highlevel.getLocation(id, locationId);
    const err = await classOf(highlevel.getLocation(id, locationId));
    assert.equal(err.errorClass, ErrorClass.QuotaExhausted);
    assert.ok(err.resumeAt && Date.parse(err.resumeAt) > Date.now());
    assert.equal((toApplicationFailure(err) as { nonRetryable: boolean }).nonRetryable, true);
  });

  it('classifies refused credentials as AuthFailed after one refresh attempt', async () => {
    const { highlevel, id, locationId } = await setup(undefined, { revokedAtVendor: true });
    const err = await classOf(highlevel.getLocation(id, locationId));
    assert.equal(err.errorClass, ErrorClass.AuthFailed);
    const { rows } = await env.pool.query(
      `SELECT outcome, error_class FROM token_refresh_logs WHERE installation_id = $1`,
      [id],
    );
    assert.deepEqual(rows, [{ outcome: 'failed', error_class: 'AuthFailed' }]);
  });

  it('classifies 5xx as ServerError, a dead host as NetworkError, 422 as ValidationFailed and 404 as NotFound', async () => {
    const { highlevel, id, locationId } = await setup();
    await faults({ rate5xx: 1 });
    try {
      assert.equal((await classOf(highlevel.getLocation(id, locationId))).errorClass, ErrorClass.ServerError);
    } finally {
      await faults({ rate5xx: 0 });
    }
    await new Promise((r) => setTimeout(r, INTERVAL_MS));
    const invalid = await classOf(highlevel.upsertContact(id, { locationId, firstName: 'No contact details' }));
    assert.equal(invalid.errorClass, ErrorClass.ValidationFailed);
    assert.match(invalid.message, /email or phone/);
    assert.equal((await classOf(highlevel.getLocation(id, 'no-such-location'))).errorClass, ErrorClass.NotFound);

    const config = {
      ...env.config,
      highlevel: { ...env.config.highlevel, baseUrl: `http://127.0.0.1:${await freePort()}` },
    };
    const offline = createHighLevelServices({ config, pool: env.pool, log: env.log });
    assert.equal((await classOf(offline.highlevel.ping())).errorClass, ErrorClass.NetworkError);
  });
});
