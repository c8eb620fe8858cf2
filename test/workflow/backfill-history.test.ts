import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startRun } from '../../src/temporal/start.js';
import type { BackfillStatus } from '../../src/workflows/backfill.js';
import { seedBilling, startBackfillEnv, syncStates, type BackfillTestEnv } from '../backfill-env.js';
import { eventually } from '../harness.js';

const RECORDS = Number(process.env.HIST_RECORDS ?? 10_000);

describe('backfill history', () => {
  let env: BackfillTestEnv;
  before(async () => {
    env = await startBackfillEnv();
  });
  after(() => env.stop());

  it('walks 10,000 records with every run of the continue-as-new chain under 10,000 history events', async () => {
    await seedBilling(env, RECORDS / 4);
    const workflowId = `backfill-zoho-history-${randomUUID()}`;
    const { handle } = await startRun(env.client, {
      workflow: 'backfill',
      workflowId,
      taskQueue: env.config.taskQueues.main,
      kind: 'backfill',
      summary: 'History test',
      // A dry run walks the same pages, counters and continue-as-new hand-overs as a push without the HTTP work
      // (the push itself is measured at 1x and 10x in bench/growth.ts). A short run length makes the chain several
      // runs long, so hand-over is exercised, not just avoided.
      args: [
        {
          integration: 'zoho',
          entities: ['customers', 'subscriptions', 'invoices', 'payments'],
          mode: 'unsynced',
          dryRun: true,
          initialBatchSize: 200,
          pagesPerRun: 15,
        },
      ],
    });
    const result = (await handle.result()) as BackfillStatus;
    assert.equal(result.status, 'completed');
    assert.equal(result.progress.processed, RECORDS);
    assert.equal(result.estimatedApiCalls, RECORDS * 2);
    assert.deepEqual((await syncStates(env)).states, { pending: RECORDS });
    assert.equal((await env.simStats()).requests.total, 0);

    const runs = await eventually(
      async () => {
        const found: string[] = [];
        for await (const wf of env.client.workflow.list({ query: `WorkflowId='${workflowId}'` })) found.push(wf.runId);
        return found.length === result.runs ? found : undefined;
      },
      20_000,
      'every run in visibility',
    );
    assert.ok(runs.length >= 3, `continued as new (${runs.length} runs)`);
    for (const runId of runs) {
      const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
      const events = history.events?.length ?? 0;
      assert.ok(events > 0 && events < 10_000, `run ${runId} has ${events} events`);
    }
  });
});
