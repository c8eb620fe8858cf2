/**
 * Fault only a real cluster has: the PostgreSQL that holds Temporal's history and visibility goes away in the middle
 * of a backfill and comes back, while the Temporal server keeps running. The server must recover on its own and the
 * backfill finish with every record synced, nothing created twice. A private stack, since its database is restarted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backfillAcrossOutage, startBackfillEnv, type BackfillTestEnv } from '../backfill-env.js';
import { eventually } from '../harness.js';
import { startFaultStack, type PrivateStack } from '../stack.js';

describe("Temporal's PostgreSQL restarted during a backfill", () => {
  let stack: PrivateStack;
  let env: BackfillTestEnv;
  before(async () => {
    stack = await startFaultStack('fault-temporal-postgres');
    env = await startBackfillEnv();
  });
  after(async () => {
    await env?.stop();
    await stack?.stop();
  });

  it('finishes with every record synced and zero duplicate creates, the server left running', async () => {
    assert.ok(stack.temporalPostgres, 'runs in topology mode (npm run test:topology)');
    await backfillAcrossOutage(env, {
      server: stack.temporalPostgres,
      name: 'temporal-postgres-restart',
      customers: 30,
      // Down until the server finds out: its visibility store (the same PostgreSQL) refuses a query.
      whileDown: (workflowId) =>
        eventually(
          () =>
            env.client.workflow.count(`WorkflowId = '${workflowId}'`).then(
              () => false,
              () => true,
            ),
          30_000,
          'the server to lose its database',
        ),
    });
  });
});
