import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { declaredSchedules } from '../../src/schedules.js';
import { startRun } from '../../src/temporal/start.js';
import type { RunStatus } from '../../src/workflows/run-status.js';
import { startTestEnv, type TestEnv } from '../harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../incident-doubles.js';

describe('delivery checks on their own schedules', () => {
  let env: TestEnv;
  let receiver: WebhookReceiver;
  before(async () => {
    env = await startTestEnv();
    receiver = await startWebhookReceiver();
  });
  after(async () => {
    await receiver.stop();
    await env.stop();
  });

  /** Runs the workflow with the arguments its schedule gives it. */
  const runScheduled = async (scheduleSuffix: string): Promise<RunStatus> => {
    const declared = declaredSchedules(env.config).find((s) => s.id.endsWith(scheduleSuffix))!;
    const { handle } = await startRun(env.client, {
      workflow: 'deliveryChecks',
      workflowId: `delivery-checks-${randomUUID()}`,
      taskQueue: env.config.taskQueues.main,
      kind: 'monitor',
      summary: declared.summary,
      args: declared.args ?? [],
    });
    return (await handle.result()) as RunStatus;
  };

  const delivery = async (values: { status: string; attempts: number; dueAgo?: string; createdAgo?: string }) => {
    const { rows } = await env.pool.query<{ id: string }>(
      `INSERT INTO webhook_deliveries (target_url, event_type, payload, status, attempts, next_attempt_at, created_at)
       VALUES ($1, 'test', '{"n": 1}', $2, $3, now() - $4::interval, now() - $5::interval) RETURNING id`,
      [`${receiver.url}/hook`, values.status, values.attempts, values.dueAgo ?? '1 minute', values.createdAgo ?? '0'],
    );
    return rows[0]!.id;
  };
  const row = async (id: string) =>
    (
      await env.pool.query<{ status: string; attempts: number; wait_s: number }>(
        `SELECT status, attempts, extract(epoch FROM next_attempt_at - now())::int AS wait_s
           FROM webhook_deliveries WHERE id = $1`,
        [id],
      )
    ).rows[0]!;

  it('every 15 minutes re-sends a due failed delivery, and backs off exponentially when it fails again', async () => {
    const delivered = await delivery({ status: 'failed', attempts: 1 });
    let result = await runScheduled('opsflow-webhook-retries');
    assert.deepEqual(
      result.steps.map((s) => s.name),
      ['webhook retries'],
    );
    assert.equal((await row(delivered)).status, 'delivered');
    assert.equal(receiver.received.length, 1);

    const failing = await delivery({ status: 'failed', attempts: 2 });
    receiver.failNext(1, 503);
    result = await runScheduled('opsflow-webhook-retries');
    const after3 = await row(failing);
    assert.equal(after3.status, 'failed');
    assert.equal(after3.attempts, 3);
    // base 15 minutes × 2^(3 − 1): an hour before the next try.
    assert.ok(after3.wait_s > 3500 && after3.wait_s <= 3600, `waits ${after3.wait_s} s`);
    // Not due yet: the next run leaves it alone.
    await runScheduled('opsflow-webhook-retries');
    assert.equal((await row(failing)).attempts, 3);
  });

  it('every 5 minutes pages work past its SLA as one incident', async () => {
    const quiet = await runScheduled('opsflow-delivery-sla');
    assert.deepEqual(
      quiet.steps.map((s) => [s.name, s.status]),
      [['stuck work', 'ok']],
    );
    await delivery({ status: 'pending', attempts: 0, createdAgo: '2 hours' });
    const breached = await runScheduled('opsflow-delivery-sla');
    assert.equal(breached.steps[0]!.status, 'warning');
    await runScheduled('opsflow-delivery-sla');
    const { rows } = await env.pool.query<{ severity: string; trigger_count: number; status: string }>(
      `SELECT severity, trigger_count, status FROM incidents WHERE dedup_key = 'delivery-sla'`,
    );
    assert.equal(rows.length, 1, 'one incident however often the breach is seen');
    assert.equal(rows[0]!.severity, 'P3');
    assert.equal(rows[0]!.status, 'open');
  });
});
