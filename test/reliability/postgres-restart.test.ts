/**
 * Fault: PostgreSQL goes away while a daily runbook has a step in flight (a webhook delivery waiting on its target's
 * answer) and while a transaction holds a pooled connection, then comes back (same data, same port). The run must
 * complete, the workers must survive the dropped connections, and the pool must serve queries again. A private
 * stack, since the database server is restarted.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startRun } from '../../src/temporal/start.js';
import type { RunStatus } from '../../src/workflows/run-status.js';
import { eventually } from '../harness.js';
import { startFaultStack, type PrivateStack } from '../stack.js';
import { startRunbookEnv, type RunbookEnv } from '../workflow/runbook-fixtures.js';
import { runStatusQuery } from '../../src/workflows/run-status.js';

/** A webhook target that holds every request until `release()`, so a delivery stays in flight as long as needed. */
async function startHeldTarget() {
  const requests: Array<{ idempotencyKey: string | undefined }> = [];
  const waiting: ServerResponse[] = [];
  let released = false;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests.push({ idempotencyKey: req.headers['idempotency-key'] as string | undefined });
      if (released) res.writeHead(200).end();
      else waiting.push(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    release() {
      released = true;
      for (const res of waiting.splice(0)) res.writeHead(200).end();
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('PostgreSQL restarted during a runbook', () => {
  let stack: PrivateStack;
  let r: RunbookEnv;
  let target: Awaited<ReturnType<typeof startHeldTarget>>;
  before(async () => {
    stack = await startFaultStack('fault-postgres');
    r = await startRunbookEnv();
    target = await startHeldTarget();
  });
  after(async () => {
    await target?.stop();
    await r?.stop();
    await stack?.stop();
  });

  it('completes the daily runbook; the workers survive and the pool reconnects', async () => {
    const { pool, client, config, workers } = r.env;
    const {
      rows: [delivery],
    } = await pool.query<{ id: number }>(
      `INSERT INTO webhook_deliveries (target_url, event_type, payload, status, attempts, next_attempt_at)
       VALUES ($1, 'invoice.paid', '{"n":1}', 'failed', 1, now() - interval '1 minute') RETURNING id`,
      [`${target.url}/hook`],
    );
    const { handle } = await startRun(client, {
      workflow: 'dailyRunbook',
      workflowId: `runbook-daily-pg-restart-${randomUUID()}`,
      taskQueue: config.taskQueues.main,
      kind: 'daily',
      summary: 'Daily runbook across a PostgreSQL restart',
      args: [],
    });
    // The webhook step is in flight (its POST is held) and every other step has finished.
    await eventually(
      async () => {
        const state = await handle.query(runStatusQuery);
        const running = state.steps.filter((s) => s.status === 'running').map((s) => s.name);
        return target.requests.length === 1 && running.length === 1 && running[0] === 'webhook retries';
      },
      30_000,
      'the webhook retry to be the only step in flight',
    );
    // A transaction elsewhere in the process holds a pooled connection when the server goes away.
    const inTransaction = await pool.connect();
    await inTransaction.query('BEGIN');

    await stack.postgres.stop();
    // The delivery answers while the database is down: recording it fails, and the step is retried.
    target.release();
    await assert.rejects(pool.query('SELECT 1'), 'the database is down');
    await stack.postgres.start();
    await assert.rejects(inTransaction.query('COMMIT'), 'the held connection died with the server');
    inTransaction.release();

    const result = (await handle.result()) as RunStatus;
    assert.equal(result.status, 'completed');
    const step = result.steps.find((s) => s.name === 'webhook retries');
    assert.equal(step?.status, 'ok', JSON.stringify(step));
    const { rows } = await pool.query<{ status: string; attempts: number }>(
      'SELECT status, attempts FROM webhook_deliveries WHERE id = $1',
      [delivery!.id],
    );
    assert.deepEqual(rows[0], { status: 'delivered', attempts: 2 });
    // Re-sent after the failed write, under the same Idempotency-Key, so the receiver can drop the duplicate.
    assert.deepEqual(
      target.requests.map((q) => q.idempotencyKey),
      target.requests.map(() => `webhook-delivery-${delivery!.id}-2`),
    );
    const report = await pool.query('SELECT 1 FROM runbook_reports WHERE id = $1', [result.reportId]);
    assert.equal(report.rowCount, 1, 'the report was stored after the restart');
    assert.ok(workers.running(), 'the workers survived the restart');
  });
});
