/**
 * Backfill benchmark: ZOHO calls per minute achieved against the organization's call budget (target ≥ 95 %, zero
 * 429s) by two backfills running at once, and records per second of the Temporal backfill against a bare script
 * doing the same HTTP and database work (look up by reference, create, mark synced and log the attempt) without
 * Temporal. Writes bench/results/backfill.json.
 *
 * Runs alone (`npx tsx bench/backfill.ts`) on its own embedded stack, or on the shared one under bench/run.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { zohoPushApi } from '../src/integrations/zoho/push.js';
import { markSyncedAndLog, selectPage } from '../src/backfill/records.js';
import { startRun } from '../src/temporal/start.js';
import type { BackfillInput, BackfillStatus } from '../src/workflows/backfill/backfill.js';
import { seedBilling, startBackfillEnv, type BackfillTestEnv } from '../test/backfill-env.js';
import { ensurePrivateStack } from '../test/stack.js';

const CUSTOMERS = Number(process.env.BENCH_BACKFILL_CUSTOMERS ?? 60);
const BUDGET_PER_MINUTE = Number(process.env.BENCH_BACKFILL_RPM ?? 600);
const ESTIMATE_CUSTOMERS = 20;
/** Alternating rounds of the throughput comparison (odd, so one round is the median). */
const ROUNDS = 3;

async function backfill(env: BackfillTestEnv, input: Partial<BackfillInput>): Promise<BackfillStatus> {
  const { handle } = await startRun(env.client, {
    workflow: 'backfill',
    workflowId: `bench-backfill-${randomUUID()}`,
    taskQueue: env.config.taskQueues.main,
    kind: 'backfill',
    summary: 'Backfill benchmark',
    args: [{ integration: 'zoho', entities: ['customers'], mode: 'unsynced', ...input } satisfies BackfillInput],
  });
  return (await handle.result()) as BackfillStatus;
}

/**
 * Two backfills at once, each taking half the customers, under the organization's budget (ZOHO_CALLS_PER_MINUTE)
 * with the simulator at the vendor's ratio (the budget is 80 % of its per-minute limit); calls per minute from the
 * simulator's own count.
 */
async function measureBudget() {
  const env = await startBackfillEnv({ env: { ZOHO_CALLS_PER_MINUTE: String(BUDGET_PER_MINUTE) } });
  try {
    await env.simControl('limits', { perMinute: Math.floor(BUDGET_PER_MINUTE / 0.8), windowSeconds: 60 });
    await seedBilling(env, CUSTOMERS);
    const { rows } = await env.pool.query<{ id: string }>('SELECT id FROM customers ORDER BY id');
    const ids = rows.map((r) => Number(r.id));
    const halves = [ids.slice(0, ids.length / 2), ids.slice(ids.length / 2)];
    const both = await timed(() => Promise.all(halves.map((customers) => backfill(env, { recordIds: { customers } }))));
    const stats = await env.simStats();
    const calls = stats.requests.total - stats.tokens.granted;
    return { callsPerMinute: (calls / both.ms) * 60_000, rateLimited429: stats.requests.byStatus['429'] ?? 0 };
  } finally {
    await env.stop();
  }
}

/**
 * The dry run's call estimate against the calls the same backfill then makes, fault-free: a dry run prices every
 * entity (`estimatedApiCalls`), then the real push runs over the same records and the simulator counts its calls.
 */
async function measureEstimate() {
  const env = await startBackfillEnv();
  try {
    await seedBilling(env, ESTIMATE_CUSTOMERS);
    const input = { entities: ['customers', 'subscriptions', 'invoices', 'payments'], initialBatchSize: 200 };
    const dry = await backfill(env, { ...input, dryRun: true });
    const before = await env.simStats();
    const real = await backfill(env, input);
    const after = await env.simStats();
    const made = after.requests.total - after.tokens.granted - (before.requests.total - before.tokens.granted);
    return { estimated: dry.estimatedApiCalls ?? NaN, made, counted: real.apiCalls, records: real.progress.succeeded };
  } finally {
    await env.stop();
  }
}

export async function run() {
  const stopStack = await ensurePrivateStack('bench-backfill');
  const measured = await Promise.resolve()
    .then(async () => ({ budget: await measureBudget(), estimate: await measureEstimate() }))
    .catch(async (err: unknown) => {
      await stopStack();
      throw err;
    });
  const { budget, estimate } = measured;
  const env = await startBackfillEnv();
  try {
    // Throughput: an unpaced Temporal run (budget raised through config) vs a bare loop over the same work, in
    // alternating rounds on fresh records so both sides see the same machine load; the median round's ratio counts.
    const rounds: Array<{ temporalPerSecond: number; barePerSecond: number; ratio: number }> = [];
    for (let i = 0; i < ROUNDS; i++) {
      await seedBilling(env, CUSTOMERS, i * CUSTOMERS);
      const temporal = await timed(() =>
        backfill(env, { entities: ['customers', 'subscriptions', 'invoices'], initialBatchSize: 200 }),
      );
      const bare = await timed(() => bareBackfill(env, 'payments'));
      const temporalPerSecond = temporal.value.progress.succeeded / (temporal.ms / 1000);
      const barePerSecond = bare.value / (bare.ms / 1000);
      rounds.push({
        temporalPerSecond: round(temporalPerSecond),
        barePerSecond: round(barePerSecond),
        ratio: temporalPerSecond / barePerSecond,
      });
    }
    const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(ROUNDS / 2)]!;
    const { temporalPerSecond, barePerSecond } = median;
    const result = {
      budgetPerMinute: BUDGET_PER_MINUTE,
      callsPerMinute: Math.round(budget.callsPerMinute),
      budgetUse: round(budget.callsPerMinute / BUDGET_PER_MINUTE),
      rateLimited429: budget.rateLimited429 + ((await env.simStats()).requests.byStatus['429'] ?? 0),
      temporalRecordsPerSecond: temporalPerSecond,
      bareRecordsPerSecond: barePerSecond,
      temporalVsBare: round(median.ratio),
      rounds: rounds.map((r) => ({ ...r, ratio: round(r.ratio) })),
      estimate,
      ratios: [
        {
          what: 'ZOHO calls/min ÷ the organization budget',
          value: budget.callsPerMinute / BUDGET_PER_MINUTE,
          min: 0.95,
        },
        { what: '429 answers under the budget', value: budget.rateLimited429, max: 0 },
        { what: 'backfill records/s ÷ bare script (median of alternating rounds)', value: median.ratio, min: 0.8 },
        {
          what: 'dry-run call estimate ÷ calls made, fault-free',
          value: estimate.estimated / estimate.made,
          min: 0.9,
          max: 1.1,
        },
      ],
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

/** The bare script: every unsynced record of `entity`, looked up by reference or created, marked synced and logged. */
async function bareBackfill(env: BackfillTestEnv, entity: 'payments'): Promise<number> {
  const api = zohoPushApi(env.zoho);
  let n = 0;
  for (let after = 0; ;) {
    const rows = await selectPage(env.pool, entity, { mode: 'unsynced' }, after, 200);
    for (const r of rows) {
      const started = performance.now();
      const zohoId = (await api.findByReference(entity, r)) ?? (await api.create(entity, r));
      const attempt = { entity, recordId: r.id, runId: 'bare', outcome: 'created' } as const;
      await markSyncedAndLog(env.pool, { ...attempt, durationMs: performance.now() - started }, zohoId);
      n++;
    }
    if (rows.length < 200) return n;
    after = rows.at(-1)!.id;
  }
}

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
