/**
 * Every HTTP call the HighLevel and ZOHO clients make leaves one row in `vendor_calls` (endpoint group, method,
 * status, duration, error class), written with the usage counts; a failed write never fails the call.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { endpointGroup } from '../../src/integrations/api-usage.js';
import { ErrorClass, IntegrationError } from '../../src/integrations/errors.js';
import { startTestEnv, type TestEnv } from '../harness.js';
import { failureOf, locationInstallation } from '../highlevel-fixtures.js';

interface Row {
  endpoint_group: string;
  method: string;
  status: number | null;
  duration_ms: number;
  error_class: string | null;
}

describe('timed vendor calls', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ workers: false, highlevelSimulator: true, zohoSimulator: true });
  });
  after(() => env.stop());

  /** The rows written since `id` (exclusive), oldest first. */
  const rowsAfter = async (id: number, integration: string) =>
    (
      await env.pool.query<Row>(
        `SELECT endpoint_group, method, status, duration_ms, error_class FROM vendor_calls
          WHERE id > $1 AND integration = $2 ORDER BY id`,
        [id, integration],
      )
    ).rows;
  const lastId = async () =>
    (await env.pool.query<{ id: string | null }>(`SELECT max(id) AS id FROM vendor_calls`)).rows[0]!.id ?? 0;

  it('names endpoint groups from the request path by one table, anything else "other"', () => {
    assert.equal(endpointGroup('highlevel', '/oauth/locationToken'), 'highlevel:oauth');
    assert.equal(endpointGroup('highlevel', '/contacts/'), 'highlevel:contacts');
    assert.equal(endpointGroup('highlevel', '/locations/loc_1?x=1'), 'highlevel:locations');
    assert.equal(endpointGroup('zoho', '/invoices/4000123'), 'zoho:invoices');
    assert.equal(endpointGroup('zoho', '/settings/taxes'), 'zoho:other');
    assert.equal(endpointGroup('zoho', '/'), 'zoho:other');
  });

  it('records a HighLevel call with its group and status, and a refused one with its error class', async () => {
    const { highlevel, id, locationId } = await locationInstallation(env);
    const since = Number(await lastId());
    await highlevel.getLocation(id, locationId);
    const missing = await failureOf(highlevel.getLocation(id, 'no-such-location'), IntegrationError);
    const rows = await rowsAfter(since, 'highlevel');
    assert.deepEqual(
      rows.map((r) => [r.endpoint_group, r.method, r.status, r.error_class]),
      [
        ['highlevel:locations', 'GET', 200, null],
        ['highlevel:locations', 'GET', missing.status, missing.errorClass],
      ],
    );
    assert.ok(rows.every((r) => r.duration_ms >= 0 && r.duration_ms < 30_000));
  });

  it('records the refresh of an expired token under highlevel:oauth, before the call it was for', async () => {
    const { highlevel, id, locationId } = await locationInstallation(env, { expiresInSeconds: -60 });
    const since = Number(await lastId());
    await highlevel.getLocation(id, locationId);
    const rows = await rowsAfter(since, 'highlevel');
    assert.deepEqual(
      rows.map((r) => [r.endpoint_group, r.method, r.status]),
      [
        ['highlevel:oauth', 'POST', 200],
        ['highlevel:locations', 'GET', 200],
      ],
    );
  });

  it('records a ZOHO call with its group and status, and a not-found one as NotFound', async () => {
    const since = Number(await lastId());
    await env.zoho.invoices.listPage({ perPage: 10 });
    const missing = await failureOf(env.zoho.customers.get('999999999'), IntegrationError);
    assert.equal(missing.errorClass, ErrorClass.NotFound);
    const rows = await rowsAfter(since, 'zoho');
    assert.deepEqual(
      rows.map((r) => [r.endpoint_group, r.method, r.status, r.error_class]),
      [
        ['zoho:invoices', 'GET', 200, null],
        ['zoho:customers', 'GET', missing.status, 'NotFound'],
      ],
    );
  });

  it('never fails a vendor call because its row could not be written', async () => {
    await env.pool.query(`ALTER TABLE vendor_calls RENAME TO vendor_calls_away`);
    try {
      const page = await env.zoho.customers.listPage({ perPage: 5 });
      assert.ok(Array.isArray(page.items));
    } finally {
      await env.pool.query(`ALTER TABLE vendor_calls_away RENAME TO vendor_calls`);
    }
  });
});
