import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { seedBilling, startBackfillEnv, type BackfillTestEnv } from '../backfill-env.js';
import { eventually } from '../harness.js';

const ALL = ['customers', 'subscriptions', 'invoices', 'payments'];
type Rec = { id: string; status: string; summary: Record<string, Record<string, number>> };

describe('reconciliation with ZOHO through the API', () => {
  let env: BackfillTestEnv;
  before(async () => {
    env = await startBackfillEnv({ api: true });
    await seedBilling(env, 10);
    const started = await env.api!.request<{ id: string }>('POST', '/backfills', {
      body: { integration: 'zoho', entities: ALL, mode: 'unsynced' },
    });
    assert.equal(started.status, 201);
    await eventually(
      async () => {
        const r = await env.api!.request<{ status: string }>('GET', `/backfills/${started.body.id}`);
        return r.body.status === 'completed';
      },
      30_000,
      'the initial backfill',
    );
    // The seeded mismatches: two fields changed locally, one record ZOHO never received, one customer only in ZOHO.
    await env.simControl('seed', {
      customers: [
        {
          display_name: 'Remote Only',
          email: 'remote@example.com',
          custom_fields: [{ label: 'Reference', value: 'C-remote' }],
        },
      ],
    });
    await env.pool.query(`UPDATE customers SET email = 'changed@example.com' WHERE reference = 'C-3'`);
    await env.pool.query(`UPDATE invoices SET total = 59.00 WHERE reference = 'I-4'`);
    await env.pool.query(
      `INSERT INTO payments (reference, customer_id, payment_date, amount, zoho_id, sync_state)
       SELECT 'P-extra', id, DATE '2026-11-03', 10.00, 'gone-123', 'synced' FROM customers WHERE reference = 'C-5'`,
    );
  });
  after(() => env.stop());

  async function reconcile(repair: string): Promise<Rec> {
    const started = await env.api!.request<{ id: string }>('POST', '/reconciliations', {
      body: { integration: 'zoho', entities: ALL, repair },
    });
    assert.equal(started.status, 201);
    return eventually(
      async () => {
        const r = await env.api!.request<Rec>('GET', `/reconciliations/${started.body.id}`);
        return ['completed', 'awaiting-approval'].includes(r.body.status) ? r.body : undefined;
      },
      30_000,
      'the reconciliation',
    );
  }

  it('finds exactly the seeded mismatches, repairs them once approved, and then finds none', async () => {
    const first = await reconcile('approval');
    assert.equal(first.status, 'awaiting-approval');
    assert.deepEqual(first.summary.customers, {
      local: 10,
      remote: 11,
      matched: 9,
      missingRemote: 0,
      missingLocal: 1,
      different: 1,
      unsynced: 0,
    });
    assert.equal(first.summary.invoices!.different, 1);
    assert.equal(first.summary.subscriptions!.different! + first.summary.subscriptions!.missingRemote!, 0);
    assert.equal(first.summary.payments!.missingRemote, 1);
    const { rows } = await env.pool.query(
      `SELECT entity, kind, reference FROM reconciliation_mismatches WHERE reconciliation_id = $1 ORDER BY entity`,
      [first.id],
    );
    assert.deepEqual(rows, [
      { entity: 'customers', kind: 'different', reference: 'C-3' },
      { entity: 'customers', kind: 'missing-local', reference: 'C-remote' },
      { entity: 'invoices', kind: 'different', reference: 'I-4' },
      { entity: 'payments', kind: 'missing-remote', reference: 'P-extra' },
    ]);

    const bad = await env.api!.request('POST', `/reconciliations/${first.id}/approve`, { body: {} });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /json\.by/);
    const approved = await env.api!.request<Rec>('POST', `/reconciliations/${first.id}/approve`, {
      body: { by: 'ops' },
    });
    assert.equal(approved.status, 200);
    await eventually(
      async () => (await env.api!.request<Rec>('GET', `/reconciliations/${first.id}`)).body.status === 'completed',
      30_000,
    );
    const again = await env.api!.request('POST', `/reconciliations/${first.id}/reject`, { body: { by: 'ops' } });
    assert.equal(again.status, 409);
    assert.equal((await env.simStats()).duplicateCreates.total, 0);

    const second = await reconcile('none');
    assert.equal(second.status, 'completed');
    for (const entity of ALL) {
      const s = second.summary[entity]!;
      assert.equal(s.missingRemote! + s.missingLocal! + s.different!, 0, `${entity} has no mismatch left`);
    }
  });

  it('answers 400 naming the field for a bad backfill and 409 for an invalid transition', async () => {
    const bad = await env.api!.request('POST', '/backfills', {
      body: { integration: 'zoho', entities: ['contacts'], mode: 'sometimes' },
    });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /json\.mode/);
    const dry = await env.api!.request<{ id: string }>('POST', '/backfills', {
      body: { integration: 'zoho', entities: ['customers'], mode: 'all', dryRun: true },
    });
    await eventually(
      async () =>
        (await env.api!.request<{ status: string }>('GET', `/backfills/${dry.body.id}`)).body.status === 'completed',
    );
    const got = await env.api!.request<{ dryRun: boolean; estimatedApiCalls: number }>(
      'GET',
      `/backfills/${dry.body.id}`,
    );
    assert.equal(got.body.dryRun, true);
    assert.equal(got.body.estimatedApiCalls, 11, 'one update per linked customer, the imported one included');
    const pause = await env.api!.request('POST', `/backfills/${dry.body.id}/pause`, { body: {} });
    assert.equal(pause.status, 409);
  });

  it('retries only the failures of a time window, and names a window that cannot apply', async () => {
    const misplaced = await env.api!.request('POST', '/backfills', {
      body: { integration: 'zoho', entities: ['customers'], mode: 'all', failedSince: '2026-01-01T00:00:00Z' },
    });
    assert.equal(misplaced.status, 400);
    assert.match(JSON.stringify(misplaced.body), /json\.failedSince/);

    // Three customers' last pushes failed: two an hour ago, one two days ago.
    await env.pool.query(
      `UPDATE customers c SET sync_state = 'failed', updated_at = now() - p.ago
         FROM (SELECT id, (ARRAY[interval '1 hour', interval '1 hour', interval '2 days'])[row_number() OVER (ORDER BY id)] AS ago
                 FROM customers ORDER BY id LIMIT 3) p
        WHERE c.id = p.id`,
    );
    const { rows } = await env.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM customers WHERE sync_state = 'failed' AND updated_at >= now() - interval '1 day'`,
    );
    assert.ok(rows[0]!.n >= 2, 'recent failures to retry');
    const dryRunOf = async (window: Record<string, string>) => {
      const started = await env.api!.request<{ id: string }>('POST', '/backfills', {
        body: { integration: 'zoho', entities: ['customers'], mode: 'failed', dryRun: true, ...window },
      });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      return eventually(async () => {
        const got = await env.api!.request<{ status: string; progress: { processed: number } }>(
          'GET',
          `/backfills/${started.body.id}`,
        );
        return got.body.status === 'completed' ? got.body.progress.processed : undefined;
      });
    };
    const dayAgo = new Date(Date.now() - 86_400_000).toISOString();
    assert.equal(await dryRunOf({ failedSince: dayAgo }), rows[0]!.n);
    const { rows: older } = await env.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM customers WHERE sync_state = 'failed' AND updated_at < now() - interval '1 day'`,
    );
    assert.ok(older[0]!.n >= 1);
    assert.equal(await dryRunOf({ failedUntil: dayAgo }), older[0]!.n);
  });
});
