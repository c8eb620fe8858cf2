import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KNOWN_MISMATCHES, seedBilling } from '../../src/dev/seed/billing.js';
import { startTestEnv, type TestEnv } from '../harness.js';

describe('demo billing seed', () => {
  let env: TestEnv;
  let counts: Record<string, number>;
  before(async () => {
    env = await startTestEnv({ workers: false, zohoSimulator: true });
    counts = await seedBilling({
      pool: env.pool,
      config: env.config,
      log: env.log,
      simulators: { zoho: env.zohoSimulator!.url },
    });
  });
  after(() => env.stop());

  it('writes the documented counts at scale 1, in pending, synced and failed states', async () => {
    assert.deepEqual(counts, { customers: 10, subscriptions: 10, invoices: 20, payments: 10, remoteRecords: 25 });
    const { rows } = await env.pool.query(
      `SELECT 'customers' AS entity, sync_state::text, count(*)::int AS n FROM customers GROUP BY 2
       UNION ALL SELECT 'invoices', sync_state::text, count(*)::int FROM invoices GROUP BY 2
       UNION ALL SELECT 'payments', sync_state::text, count(*)::int FROM payments GROUP BY 2 ORDER BY 1, 2`,
    );
    assert.deepEqual(
      rows.map((r) => `${r.entity} ${r.sync_state} ${r.n}`),
      [
        'customers failed 2',
        'customers pending 2',
        'customers synced 6',
        'invoices failed 1',
        'invoices pending 9',
        'invoices synced 10',
        'payments failed 1',
        'payments pending 6',
        'payments synced 3',
      ],
    );
    const failed = await env.pool.query(`SELECT DISTINCT last_error_class FROM customers WHERE sync_state = 'failed'`);
    assert.deepEqual(failed.rows.map((r) => r.last_error_class).sort(), ['ServerError', 'ValidationFailed']);
  });

  it('mirrors synced records into the simulator under their ZOHO ids, except the known mismatches', async () => {
    const zoho = env.zoho;
    const { rows } = await env.pool.query(`SELECT reference, zoho_id FROM customers WHERE sync_state = 'synced'`);
    for (const row of rows)
      assert.equal((await zoho.customers.findByReference(row.reference))?.customer_id, row.zoho_id);

    const { different, missingLocally, missingRemotely } = KNOWN_MISMATCHES;
    const invoice = await zoho.invoices.findByReference(different.reference);
    assert.equal(invoice?.total, different.remoteTotal);
    const local = await env.pool.query('SELECT total::float AS total FROM invoices WHERE reference = $1', [
      different.reference,
    ]);
    assert.equal(local.rows[0].total, different.localTotal);

    assert.equal((await zoho.customers.findByReference(missingLocally.reference))?.customer_id, missingLocally.zohoId);
    const noLocal = await env.pool.query('SELECT 1 FROM customers WHERE reference = $1', [missingLocally.reference]);
    assert.equal(noLocal.rowCount, 0);

    assert.equal(await zoho.payments.findByReference(missingRemotely.reference), undefined);
    const synced = await env.pool.query('SELECT sync_state::text, zoho_id FROM payments WHERE reference = $1', [
      missingRemotely.reference,
    ]);
    assert.deepEqual(synced.rows[0], { sync_state: 'synced', zoho_id: missingRemotely.zohoId });
  });
});
