/**
 * Backfill benchmark: API calls per minute achieved against a run's budget (target ≥ 95 %, zero 429s), and
 * records per second of the Temporal backfill against a bare script doing the same HTTP and database work
 * (look up by reference, create, mark synced, log the attempt) without Temporal. Writes bench/results/backfill.json.
 *
 * Runs alone (`npx tsx bench/backfill.ts`) on its own embedded stack, or on the shared one under bench/run.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { zohoPushApi } from '../src/backfill/zoho-adapter.js';
import { logAttempt, markSynced, selectPage } from '../src/backfill/records.js';
import { startRun } from '../src/temporal/start.js';
import type { BackfillStatus } from '../src/workflows/backfill.js';
import { seedBilling, startBackfillEnv } from '../test/backfill-env.js';
import { ensurePrivateStack } from '../test/stack.js';

const CUSTOMERS = Number(process.env.BENCH_BACKFILL_CUSTOMERS ?? 60);
const BUDGET_PER_MINUTE = Number(process.env.BENCH_BACKFILL_RPM ?? 600);

export async function run() {
  const stopStack = await ensurePrivateStack('bench-backfill');
  const env = await startBackfillEnv();
  try {
    // 1. Budget: a paced run against the budget; calls per minute from the simulator's own count.
    await seedBilling(env, CUSTOMERS);
    const paced = await timed(async () => {
      const { handle } = await startRun(env.client, {
        workflow: 'backfill',
        workflowId: `bench-backfill-${randomUUID()}`,
        taskQueue: env.config.taskQueues.main,
        kind: 'backfill',
        summary: 'Backfill benchmark',
        args: [
          { integration: 'zoho', entities: ['customers'], mode: 'unsynced', maxRequestsPerMinute: BUDGET_PER_MINUTE },
        ],
      });
      return (await handle.result()) as BackfillStatus;
    });
    const stats = await env.simStats();
    const callsPerMinute = (stats.requests.total / paced.ms) * 60_000;

    // 2. Throughput: unpaced Temporal run of the remaining entities vs a bare loop over the same work.
    const temporal = await timed(async () => {
      const { handle } = await startRun(env.client, {
        workflow: 'backfill',
        workflowId: `bench-backfill-${randomUUID()}`,
        taskQueue: env.config.taskQueues.main,
        kind: 'backfill',
        summary: 'Backfill benchmark (unpaced)',
        args: [
          { integration: 'zoho', entities: ['subscriptions', 'invoices'], mode: 'unsynced', initialBatchSize: 200 },
        ],
      });
      return (await handle.result()) as BackfillStatus;
    });
    const api = zohoPushApi((method, path, options) => env.zoho.call(method, path, options));
    const bare = await timed(async () => {
      let n = 0;
      for (let after = 0; ;) {
        const rows = await selectPage(env.pool, 'payments', { mode: 'unsynced' }, after, 200);
        for (const r of rows) {
          const started = performance.now();
          const zohoId = (await api.findByReference('payments', r)) ?? (await api.create('payments', r));
          await markSynced(env.pool, 'payments', r.id, zohoId);
          await logAttempt(env.pool, {
            entity: 'payments',
            recordId: r.id,
            runId: 'bare',
            outcome: 'created',
            durationMs: performance.now() - started,
          });
          n++;
        }
        if (rows.length < 200) break;
        after = rows.at(-1)!.id;
      }
      return n;
    });
    const temporalPerSecond = temporal.value.progress.succeeded / (temporal.ms / 1000);
    const barePerSecond = bare.value / (bare.ms / 1000);
    const result = {
      budgetPerMinute: BUDGET_PER_MINUTE,
      callsPerMinute: Math.round(callsPerMinute),
      budgetUse: round(callsPerMinute / BUDGET_PER_MINUTE),
      rateLimited429: (await env.simStats()).requests.byStatus['429'] ?? 0,
      temporalRecordsPerSecond: round(temporalPerSecond),
      bareRecordsPerSecond: round(barePerSecond),
      temporalVsBare: round(temporalPerSecond / barePerSecond),
    };
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/backfill.json', JSON.stringify(result, null, 2));
    console.log(result);
    return result;
  } finally {
    await env.stop();
    await stopStack();
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
