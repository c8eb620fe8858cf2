import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Health } from '../../src/temporal/search-attributes.js';
import type { BackfillStatus } from '../../src/workflows/backfill/backfill.js';
import { eventually } from '../harness.js';
import { mailTo } from '../incident-doubles.js';
import {
  runRunbook,
  seedHistory,
  startDeliveryTarget,
  startRunbookEnv,
  type DeliveryTarget,
  type RunbookEnv,
} from './runbook-fixtures.js';

/** Inserts `n` customers whose sync failed `hoursAgo` hours ago (created 3 days ago); answers their ids. */
async function insertFailedCustomers(r: RunbookEnv, n: number, hoursAgo: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const { rows } = await r.env.pool.query<{ id: number }>(
      `INSERT INTO customers (reference, display_name, email, sync_state, sync_attempts, last_error_class, updated_at, created_at)
       VALUES ($1, 'Failed Co', 'f@example.test', 'failed', 3, 'validation', now() - make_interval(hours => $2), now() - interval '3 days')
       RETURNING id`,
      [`cust-failed-${hoursAgo}-${i}-${Math.random()}`, hoursAgo],
    );
    ids.push(Number(rows[0]!.id));
  }
  return ids;
}

/** Records in `failed` state whose failure is less than 24 h old, per entity. */
async function failedRecordsByEntity(r: RunbookEnv): Promise<Record<string, number>> {
  const { rows } = await r.env.pool.query<{ entity: string; n: number }>(
    ['customers', 'subscriptions', 'invoices', 'payments']
      .map(
        (e) => `SELECT '${e}' AS entity, count(*)::int AS n FROM ${e}
                 WHERE sync_state = 'failed' AND updated_at >= now() - interval '24 hours'`,
      )
      .join(' UNION ALL '),
  );
  return Object.fromEntries(rows.map((x) => [x.entity, x.n]));
}

/** Waits until no backfill started by an earlier run is still working on this file's records. */
async function settleBackfills(r: RunbookEnv) {
  await eventually(
    async () => {
      const { count } = await r.env.client.workflow.count(
        `WorkflowType = 'backfill' AND ExecutionStatus = 'Running' AND TaskQueue = '${r.env.config.taskQueues.main}'`,
      );
      return count === 0;
    },
    60_000,
    'earlier backfills to finish',
  );
}

describe('daily runbook', () => {
  let r: RunbookEnv;
  let target: DeliveryTarget;
  before(async () => {
    r = await startRunbookEnv();
    target = await startDeliveryTarget();
    await seedHistory(r.env);
  });
  after(async () => {
    await r.stop();
    await target.stop();
  });

  it('runs its checks in parallel, retries due webhook deliveries and reports figures equal to SQL', async () => {
    const { pool } = r.env;
    await insertFailedCustomers(r, 2, 2);
    await insertFailedCustomers(r, 1, 30); // outside the 24 h window
    const ids = await pool.query<{ id: number }>(
      `INSERT INTO webhook_deliveries (target_url, event_type, payload, status, attempts, next_attempt_at, created_at) VALUES
         ($1 || '/ok/1', 'invoice.paid', '{"n":1}', 'failed', 1, now() - interval '1 minute', now() - interval '2 hours'),
         ($1 || '/fail/2', 'invoice.paid', '{"n":2}', 'failed', 4, now() - interval '1 minute', now() - interval '2 hours'),
         ($1 || '/fail/3', 'invoice.paid', '{"n":3}', 'failed', 1, NULL, now() - interval '2 hours'),
         ($1 || '/ok/4', 'invoice.paid', '{"n":4}', 'failed', 1, now() + interval '1 hour', now() - interval '2 hours')
       RETURNING id`,
      [target.url],
    );
    const [ok, exhausted, retryLater, notDue] = ids.rows.map((x) => x.id) as [number, number, number, number];

    // Failed records as they are when the run starts (the run hands them to a backfill, which may fix them).
    const failedRecords = await failedRecordsByEntity(r);
    const { result, report, workflowId } = await runRunbook(r.env, 'daily', 'dailyRunbook');

    assert.deepEqual(
      result.steps.map((s) => s.name),
      ['integration health', 'token refresh', 'failed syncs', 'webhook retries', 'stuck work', 'backups'],
    );
    for (const s of result.steps) {
      assert.ok(s.durationMs >= 0 && s.summary.length > 0, `${s.name} has a duration and a summary`);
    }
    // Two customers failed in the last 24 h: a warning (below the 5-a-day KPI), and one delivery was abandoned.
    assert.equal(result.steps.find((s) => s.name === 'failed syncs')?.status, 'warning');
    assert.equal(result.health, 'DEGRADED');
    assert.equal(report.health, 'DEGRADED');

    const attempts = await pool.query<{ entity: string; n: number }>(
      `SELECT e.entity, (SELECT count(*)::int FROM zoho_sync_logs l WHERE l.entity = e.entity AND outcome = 'failed'
                  AND created_at >= $1::timestamptz - interval '24 hours' AND created_at < $1) AS n
         FROM unnest(ARRAY['customers', 'subscriptions', 'invoices', 'payments']) AS e(entity)`,
      [report.periodEnd],
    );
    assert.deepEqual(
      report.figures.failedSyncs,
      Object.fromEntries(attempts.rows.map((x) => [x.entity, { records: failedRecords[x.entity], attempts: x.n }])),
    );
    assert.equal((report.figures.failedSyncs as Record<string, { records: number }>).customers?.records, 2);

    const rows = await pool.query<{ id: number; status: string; attempts: number; later: boolean | null }>(
      `SELECT id, status, attempts, next_attempt_at > now() + interval '30 seconds' AS later
         FROM webhook_deliveries ORDER BY id`,
    );
    const byId = new Map(rows.rows.map((x) => [x.id, x]));
    assert.deepEqual([byId.get(ok)!.status, byId.get(ok)!.attempts], ['delivered', 2]);
    assert.deepEqual([byId.get(exhausted)!.status, byId.get(exhausted)!.attempts], ['abandoned', 5]);
    assert.deepEqual(
      [byId.get(retryLater)!.status, byId.get(retryLater)!.attempts, byId.get(retryLater)!.later],
      ['failed', 2, true],
    );
    assert.deepEqual([byId.get(notDue)!.status, byId.get(notDue)!.attempts], ['failed', 1]);
    assert.deepEqual(report.figures.webhooks, { retried: 3, delivered: 1, failed: 1, abandoned: 1 });
    assert.deepEqual(target.requests.map((q) => [q.path, q.idempotencyKey]).sort(), [
      ['/fail/2', `webhook-delivery-${exhausted}-5`],
      ['/fail/3', `webhook-delivery-${retryLater}-2`],
      ['/ok/1', `webhook-delivery-${ok}-2`],
    ]);

    const described = await r.env.client.workflow.getHandle(workflowId).describe();
    assert.equal(described.typedSearchAttributes.get(Health), 'DEGRADED');
    const mail = await eventually(async () => (await mailTo(r.opsEmail)).find((m) => m.subject.includes(report.title)));
    assert.match(mail.subject, /\[DEGRADED\]/);
    assert.equal(await eventually(async () => r.chat.received.length > 0), true);
  });

  it('hands to the backfill only the records that failed in the last 24 h', async () => {
    await settleBackfills(r);
    const [recent] = await insertFailedCustomers(r, 1, 1);
    const [old] = await insertFailedCustomers(r, 1, 48);
    const before = await r.env.pool.query(`SELECT sync_state, updated_at FROM customers WHERE id = $1`, [old]);

    const { workflowId, report } = await runRunbook(r.env, 'daily', 'dailyRunbook');
    const retry = `${workflowId}-retry-failed`;
    const handedOff = (await r.env.client.workflow.getHandle(retry).result()) as BackfillStatus;
    const attempted = await r.env.pool.query<{ record_id: string }>(
      `SELECT DISTINCT record_id FROM zoho_sync_logs WHERE run_id = $1 AND entity = 'customers'`,
      [retry],
    );
    const ids = attempted.rows.map((x) => Number(x.record_id));

    assert.ok(ids.includes(recent!), 'the customer that failed 1 h ago is retried');
    assert.ok(!ids.includes(old!), 'the customer that failed 2 days ago is not');
    assert.equal(handedOff.byEntity.customers?.total, ids.length, 'the backfill selected exactly what it attempted');
    const after = await r.env.pool.query(`SELECT sync_state, updated_at FROM customers WHERE id = $1`, [old]);
    assert.deepEqual(after.rows, before.rows, 'the old failure is left as it was');
    // The hand-off window is the report's own period: the 24 h before the run started.
    assert.equal(Date.parse(report.periodEnd) - Date.parse(report.periodStart), 86_400_000);
  });

  it('opens one incident when the day is UNHEALTHY', async () => {
    // Five failures in a day break the KPI. Twice: two unhealthy days share the one open incident.
    for (const run of [1, 2]) {
      await settleBackfills(r);
      await insertFailedCustomers(r, 5, 1);
      const { result } = await runRunbook(r.env, 'daily', 'dailyRunbook');
      assert.equal(result.health, 'UNHEALTHY', `run ${run}`);
      assert.equal(result.steps.find((s) => s.name === 'failed syncs')?.status, 'failed');
    }

    const { rows } = await r.env.pool.query<{ id: string; severity: string; status: string; title: string }>(
      `SELECT id, severity, status, title FROM incidents WHERE dedup_key = 'runbook-daily-unhealthy'`,
    );
    assert.equal(rows.length, 1, 'two unhealthy runs share one open incident');
    assert.equal(rows[0]!.status, 'open');
    assert.match(rows[0]!.title, /failed syncs/);
  });
});
