/**
 * Fault: the Temporal server goes away in the middle of a backfill to ZOHO (the simulator) and comes back (same state
 * file, same port). The backfill must finish with every record synced and nothing created twice. A private stack,
 * since the server is restarted.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startRun } from '../../src/temporal/start.js';
import type { BackfillInput, BackfillStatus } from '../../src/workflows/backfill.js';
import { seedBilling, startBackfillEnv, syncStates, type BackfillTestEnv } from '../backfill-env.js';
import { eventually } from '../harness.js';
import { startFaultStack, type PrivateStack } from '../stack.js';

const CUSTOMERS = 30;

describe('Temporal restarted during a backfill', () => {
  let stack: PrivateStack;
  let env: BackfillTestEnv;
  before(async () => {
    stack = await startFaultStack('fault-temporal-backfill');
    env = await startBackfillEnv();
  });
  after(async () => {
    await env?.stop();
    await stack?.stop();
  });

  const synced = async () => (await syncStates(env)).states.synced ?? 0;

  it('finishes with every record synced and zero duplicate creates', async () => {
    await seedBilling(env, CUSTOMERS);
    // Slow calls keep activities in flight when the server goes away.
    await env.simControl('faults', { latencyMs: 20 });
    const { handle } = await startRun(env.client, {
      workflow: 'backfill',
      workflowId: `backfill-temporal-restart-${randomUUID()}`,
      taskQueue: env.config.taskQueues.main,
      kind: 'backfill',
      summary: 'Backfill across a Temporal restart',
      args: [
        {
          integration: 'zoho',
          entities: ['customers', 'subscriptions', 'invoices', 'payments'],
          mode: 'unsynced',
          initialBatchSize: 10,
          retryInitialIntervalMs: 20,
          retryMaximumIntervalMs: 200,
        } satisfies BackfillInput,
      ],
    });
    await eventually(async () => (await synced()) >= 20, 30_000, 'the backfill to be under way');

    await stack.temporal.stop();
    const atStop = await synced();
    assert.ok(atStop < CUSTOMERS * 4, `the backfill was still running when the server stopped (${atStop} synced)`);
    await stack.temporal.start();

    const result = (await handle.result()) as BackfillStatus;
    assert.equal(result.status, 'completed');
    assert.deepEqual((await syncStates(env)).states, { synced: CUSTOMERS * 4 });
    const stats = await env.simStats();
    assert.equal(stats.duplicateCreates.total, 0, 'no record was created twice');
    assert.deepEqual(stats.records, {
      customers: CUSTOMERS,
      subscriptions: CUSTOMERS,
      invoices: CUSTOMERS,
      payments: CUSTOMERS,
    });
  });
});
