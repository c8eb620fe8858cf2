import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startRun } from '../../src/temporal/start.js';
import type { BackfillInput, BackfillStatus } from '../../src/workflows/backfill/backfill.js';
import { seedBilling, startBackfillEnv, syncStates, type BackfillTestEnv } from '../backfill-env.js';
import { eventually } from '../harness.js';

const RECORDS = Number(process.env.HIST_RECORDS ?? 10_000);
const ALL = ['customers', 'subscriptions', 'invoices', 'payments'];

describe('backfill history', () => {
  let env: BackfillTestEnv;
  before(async () => {
    // The simulator's and the `zoho` queue's limits are raised through configuration (see backfill-env.ts).
    env = await startBackfillEnv();
    await seedBilling(env, RECORDS / 4);
  });
  after(() => env.stop());

  /**
   * Runs a backfill of every entity in pages of 200 with a short run length (15 pages), so the chain is several
   * runs long and hand-over is exercised, not just avoided.
   */
  async function backfillAll(input: Partial<BackfillInput>): Promise<{ workflowId: string; result: BackfillStatus }> {
    const workflowId = `backfill-zoho-history-${randomUUID()}`;
    const { handle } = await startRun(env.client, {
      workflow: 'backfill',
      workflowId,
      taskQueue: env.config.taskQueues.main,
      kind: 'backfill',
      summary: 'History test',
      args: [
        {
          integration: 'zoho',
          entities: ALL,
          mode: 'unsynced',
          initialBatchSize: 200,
          pagesPerRun: 15,
          ...input,
        } satisfies BackfillInput,
      ],
    });
    return { workflowId, result: (await handle.result()) as BackfillStatus };
  }

  /** Every run of the chain: at least three, each with fewer than 10,000 history events. */
  async function assertChainUnderHistoryLimit(workflowId: string, result: BackfillStatus): Promise<void> {
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
  }

  it('prices 10,000 records in a dry run over a continue-as-new chain, sending nothing', async () => {
    const { workflowId, result } = await backfillAll({ dryRun: true });
    assert.equal(result.status, 'completed');
    assert.equal(result.progress.processed, RECORDS);
    assert.equal(result.estimatedApiCalls, RECORDS * 2);
    assert.deepEqual((await syncStates(env)).states, { pending: RECORDS });
    assert.equal((await env.simStats()).requests.total, 0);
    await assertChainUnderHistoryLimit(workflowId, result);
  });

  it('pushes 10,000 records to ZOHO with zero duplicates, every run of the chain under 10,000 history events', async () => {
    const { workflowId, result } = await backfillAll({});
    assert.equal(result.status, 'completed', result.error);
    assert.equal(result.progress.succeeded, RECORDS);
    assert.deepEqual((await syncStates(env)).states, { synced: RECORDS });
    const { rows } = await env.pool.query(`SELECT count(*)::int AS n FROM zoho_sync_logs WHERE outcome = 'created'`);
    assert.equal(rows[0].n, RECORDS, 'every create is logged once');
    const stats = await env.simStats();
    assert.equal(stats.duplicateCreates.total, 0, 'no record was created twice');
    const each = RECORDS / 4;
    assert.deepEqual(stats.records, { customers: each, subscriptions: each, invoices: each, payments: each });
    assert.equal(stats.requests.total - stats.tokens.granted, RECORDS * 2, 'one look-up and one create per record');
    await assertChainUnderHistoryLimit(workflowId, result);
  });
});
