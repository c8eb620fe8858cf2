import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startRun } from '../../src/temporal/start.js';
import type { BackfillInput, BackfillStatus } from '../../src/workflows/backfill/backfill.js';
import { seedBilling, startBackfillEnv, syncStates, type BackfillTestEnv } from '../backfill-env.js';
import { eventually } from '../harness.js';
import {
  cancelBackfillUpdate,
  pauseBackfillUpdate,
  resumeBackfillUpdate,
} from '../../src/workflows/backfill/messages.js';

const ALL = ['customers', 'subscriptions', 'invoices', 'payments'];
/** Retries in seconds would make the faulted runs slow; the input shortens them (the vendor's Retry-After still wins). */
const FAST_RETRY = { retryInitialIntervalMs: 20, retryMaximumIntervalMs: 200 };

describe('backfill to ZOHO under faults', () => {
  let env: BackfillTestEnv;
  before(async () => {
    env = await startBackfillEnv();
  });
  after(() => env.stop());
  beforeEach(async () => {
    await env.simControl('reset');
    await env.pool.query(
      'TRUNCATE customers, subscriptions, invoices, payments, zoho_sync_logs RESTART IDENTITY CASCADE',
    );
  });

  async function start(input: Partial<BackfillInput>) {
    const { handle } = await startRun(env.client, {
      workflow: 'backfill',
      workflowId: `backfill-zoho-test-${randomUUID()}`,
      taskQueue: env.config.taskQueues.main,
      kind: 'backfill',
      summary: 'Backfill test',
      args: [{ integration: 'zoho', entities: ALL, mode: 'unsynced', ...FAST_RETRY, ...input } satisfies BackfillInput],
    });
    return handle;
  }

  it('completes with 20 % 429s and 10 % 5xx, creates nothing twice, and leaves every record synced or permanently failed', async () => {
    await seedBilling(env, 15);
    // One record ZOHO will refuse (not an email address): it must end failed with a non-retryable class.
    await env.pool.query(`UPDATE customers SET email = 'not-an-email' WHERE reference = 'C-15'`);
    await env.simControl('faults', { rate429: 0.2, rate5xx: 0.1 });
    const result = (await (await start({ initialBatchSize: 10 })).result()) as BackfillStatus;

    assert.equal(result.status, 'completed');
    const stats = await env.simStats();
    assert.equal(stats.duplicateCreates.total, 0, 'no record was created twice');
    assert.ok(
      (stats.requests.byStatus['429'] ?? 0) > 0 && (stats.requests.byStatus['500'] ?? 0) > 0,
      'faults happened',
    );
    const { states, failedClasses } = await syncStates(env);
    // C-15 fails validation; its subscription, invoice and payment cannot go without it.
    assert.deepEqual(states, { synced: 56, failed: 4 });
    assert.deepEqual(failedClasses, ['ValidationFailed']);
    assert.equal(stats.records.customers, 14);
    assert.equal(result.progress.processed, 60);
    assert.equal(result.progress.failed, 4);
    assert.ok((result.errorsByClass.RateLimited ?? 0) > 0, 'rate limits were counted by class');

    const { rows } = await env.pool.query(
      `SELECT count(*)::int AS n FROM zoho_sync_logs WHERE outcome = 'failed' AND error_class IN ('RateLimited', 'ServerError')`,
    );
    assert.ok(rows[0].n > 0, 'transient failures are logged as attempts');
  });

  it('completes with zero duplicates when its workers are killed three times mid-run', async () => {
    await seedBilling(env, 30);
    await env.simControl('faults', { latencyMs: 15 });
    const handle = await start({ initialBatchSize: 20 });
    for (let kill = 1; kill <= 3; kill++) {
      const before = (await env.simStats()).requests.total;
      await eventually(
        async () => (await env.simStats()).requests.total > before + 15,
        30_000,
        `requests before kill ${kill}`,
      );
      await env.restartWorkers();
    }
    const result = (await handle.result()) as BackfillStatus;
    assert.equal(result.status, 'completed');
    const stats = await env.simStats();
    assert.equal(stats.duplicateCreates.total, 0);
    assert.deepEqual((await syncStates(env)).states, { synced: 120 });
    assert.deepEqual(stats.records, { customers: 30, subscriptions: 30, invoices: 30, payments: 30 });
  });

  it('holds on pause (no requests while paused), continues on resume, and stops cleanly on cancel keeping progress', async () => {
    await seedBilling(env, 30);
    await env.simControl('faults', { latencyMs: 10 });
    const handle = await start({ initialBatchSize: 5 });
    await eventually(async () => (await env.simStats()).requests.total > 10, 20_000, 'first requests');

    const paused = await handle.executeUpdate(pauseBackfillUpdate, { args: [{ by: 'test' }] });
    assert.equal(paused.status, 'paused');
    const atPause = (await env.simStats()).requests.total;
    await new Promise((r) => setTimeout(r, 1500)); // a quiet period is the property under test
    assert.equal((await env.simStats()).requests.total, atPause, 'no request while paused');
    await assert.rejects(handle.executeUpdate(pauseBackfillUpdate, { args: [{}] }), (err: Error) =>
      /cannot pause a paused backfill/.test(String(err.cause)),
    );

    await handle.executeUpdate(resumeBackfillUpdate, { args: [{}] });
    await eventually(async () => (await env.simStats()).requests.total > atPause + 5, 20_000, 'requests after resume');

    const cancelled = await handle.executeUpdate(cancelBackfillUpdate, { args: [{}] });
    assert.equal(cancelled.status, 'cancelled');
    const result = (await handle.result()) as BackfillStatus;
    assert.equal(result.status, 'cancelled');
    const { states } = await syncStates(env);
    assert.ok(result.progress.succeeded > 0 && result.progress.succeeded < 120, 'stopped part-way');
    assert.equal(states.synced, result.progress.succeeded, 'progress kept: what was counted is synced');
    const requests = (await env.simStats()).requests.total;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await env.simStats()).requests.total, requests, 'nothing is sent after cancel');
  });

  it('prices a dry run without a request, within 5 % of what the real run then costs', async () => {
    await seedBilling(env, 20);
    const dry = (await (await start({ dryRun: true })).result()) as BackfillStatus;
    assert.equal((await env.simStats()).requests.total, 0, 'a dry run sends nothing');
    assert.equal(dry.wouldSend?.customers?.records, 20);
    assert.deepEqual(dry.wouldSend?.customers?.sample.slice(0, 2), ['C-1', 'C-2']);
    assert.equal(dry.progress.processed, 80);
    assert.deepEqual((await syncStates(env)).states, { pending: 80 }, 'and changes nothing locally');

    const real = (await (await start({})).result()) as BackfillStatus;
    assert.equal(real.status, 'completed');
    const calls = (await env.simStats()).requests.total;
    assert.ok(dry.estimatedApiCalls! > 0);
    assert.ok(
      Math.abs(calls - dry.estimatedApiCalls!) / calls <= 0.05,
      `estimate ${dry.estimatedApiCalls} vs ${calls} real calls`,
    );
  });
});
