/**
 * Growth benchmark: the same ZOHO backfill at 1× and 10× records — wall time, worker memory (RSS and heap after
 * the run) and history events of every run in the continue-as-new chain. Writes bench/results/growth.json.
 *
 * Runs alone (`npx tsx bench/growth.ts`) on its own embedded stack, or on the shared one under bench/run.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { startRun } from '../src/temporal/start.js';
import type { BackfillStatus } from '../src/workflows/backfill/backfill.js';
import { seedBilling, startBackfillEnv } from '../test/backfill-env.js';
import { ensurePrivateStack } from '../test/stack.js';

const BASE_CUSTOMERS = Number(process.env.BENCH_GROWTH_CUSTOMERS ?? 25);

async function measure(customers: number) {
  const env = await startBackfillEnv();
  try {
    await seedBilling(env, customers);
    const workflowId = `bench-growth-${randomUUID()}`;
    const started = performance.now();
    const { handle } = await startRun(env.client, {
      workflow: 'backfill',
      workflowId,
      taskQueue: env.config.taskQueues.main,
      kind: 'backfill',
      summary: `Growth benchmark (${customers * 4} records)`,
      args: [
        {
          integration: 'zoho',
          entities: ['customers', 'subscriptions', 'invoices', 'payments'],
          mode: 'unsynced',
          initialBatchSize: 200,
        },
      ],
    });
    const result = (await handle.result()) as BackfillStatus;
    const ms = performance.now() - started;
    const memory = process.memoryUsage();
    const eventsPerRun: number[] = [];
    for await (const wf of env.client.workflow.list({ query: `WorkflowId='${workflowId}'` })) {
      const history = await env.client.workflow.getHandle(workflowId, wf.runId).fetchHistory();
      eventsPerRun.push(history.events?.length ?? 0);
    }
    return {
      records: customers * 4,
      succeeded: result.progress.succeeded,
      seconds: Math.round(ms / 10) / 100,
      workerRssMb: Math.round(memory.rss / 1e6),
      workerHeapMb: Math.round(memory.heapUsed / 1e6),
      runs: result.runs,
      eventsPerRun,
    };
  } finally {
    await env.stop();
  }
}

export async function run() {
  const stopStack = await ensurePrivateStack('bench-growth');
  let one: Awaited<ReturnType<typeof measure>>;
  let ten: Awaited<ReturnType<typeof measure>>;
  try {
    one = await measure(BASE_CUSTOMERS);
    ten = await measure(BASE_CUSTOMERS * 10);
  } finally {
    await stopStack();
  }
  const timeRatio = Math.round((ten.seconds / one.seconds) * 100) / 100;
  const result = {
    '1x': one,
    '10x': ten,
    timeRatio,
    ratios: [
      { what: `backfill time, ${ten.records} ÷ ${one.records} records`, value: timeRatio },
      { what: `history events of the largest run, ${ten.records} records`, value: Math.max(...ten.eventsPerRun) },
    ],
    rss: { workerMb: ten.workerRssMb },
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/growth.json', JSON.stringify(result, null, 2));
  console.log(result);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
