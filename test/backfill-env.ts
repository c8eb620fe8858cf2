/**
 * What the backfill and reconciliation tests share: a ZOHO simulator of their own, a test environment pointed at
 * it, workers that a test can stop and start again, and seeded billing records.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ZohoSimulator } from '../src/simulators/zoho/index.js';
import { startRun } from '../src/temporal/start.js';
import type { BackfillInput, BackfillStatus } from '../src/workflows/backfill/backfill.js';
import { eventually, startTestEnv, type TestEnv } from './harness.js';

export interface BackfillTestEnv extends TestEnv {
  sim: ZohoSimulator;
  /**
   * Stops the workers (in-flight activities cancelled, as at a lost worker's) and starts new ones on the same queues:
   * in this process, or the worker processes in topology mode.
   */
  restartWorkers(): Promise<void>;
  simStats(): Promise<SimStats>;
  simControl(path: 'faults' | 'reset' | 'seed' | 'limits', body?: unknown): Promise<unknown>;
}

export interface SimStats {
  requests: { total: number; byStatus: Record<string, number> };
  /** Access tokens the accounts host granted (their requests count in `requests.total` too). */
  tokens: { granted: number; refused: number };
  duplicateCreates: { total: number; byEntity: Record<string, number> };
  records: Record<string, number>;
}

/**
 * Starts the environment. The simulator's limits are raised so tests are not paced by the vendor's plan
 * (429s come from injected faults only); the `zoho` queue's limit is raised through configuration for the same
 * reason (and the harness raises the call budget), unless `env` says otherwise.
 */
export async function startBackfillEnv(
  options: { api?: boolean; env?: Record<string, string> } = {},
): Promise<BackfillTestEnv> {
  const env = await startTestEnv({
    api: options.api,
    env: { ZOHO_QUEUE_ACTIVITIES_PER_SECOND: '1000', ...options.env },
    zohoSimulator: { limits: { perMinute: 1_000_000, perDay: 10_000_000, concurrent: 1000, tokensPerWindow: 1000 } },
  });
  const sim = env.zohoSimulator!;
  const control = async (path: string, body?: unknown) => {
    const res = await fetch(`${sim.url}/__sim/${path}`, {
      method: body === undefined && path === 'stats' ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      body: path === 'stats' ? undefined : JSON.stringify(body ?? {}),
    });
    return res.json();
  };
  return {
    ...env,
    sim,
    async restartWorkers() {
      await env.workers.stop();
      await env.workers.start();
    },
    simStats: () => control('stats') as Promise<SimStats>,
    simControl: control,
  };
}

/**
 * Seeds `n` customers, each with a subscription, an invoice and a payment (4n records), all pending.
 * References are `C-<i>`, `S-<i>`, `I-<i>`, `P-<i>`.
 */
export async function seedBilling(env: TestEnv, n: number, offset = 0): Promise<void> {
  await env.pool.query(
    `INSERT INTO customers (reference, display_name, email)
       SELECT 'C-' || i, 'Customer ' || i, 'c' || i || '@example.com' FROM generate_series($1::int, $2::int) i`,
    [offset + 1, offset + n],
  );
  await env.pool.query(
    `INSERT INTO subscriptions (reference, customer_id, plan_code, amount)
       SELECT 'S-' || substr(c.reference, 3), c.id, 'basic', 49.00 FROM customers c
        WHERE substr(c.reference, 3)::int BETWEEN $1 AND $2`,
    [offset + 1, offset + n],
  );
  await env.pool.query(
    `INSERT INTO invoices (reference, customer_id, subscription_id, invoice_date, total)
       SELECT 'I-' || substr(s.reference, 3), s.customer_id, s.id, DATE '2026-11-01', 49.00 FROM subscriptions s
        WHERE substr(s.reference, 3)::int BETWEEN $1 AND $2`,
    [offset + 1, offset + n],
  );
  await env.pool.query(
    `INSERT INTO payments (reference, customer_id, invoice_id, payment_date, amount)
       SELECT 'P-' || substr(i.reference, 3), i.customer_id, i.id, DATE '2026-11-02', 49.00 FROM invoices i
        WHERE substr(i.reference, 3)::int BETWEEN $1 AND $2`,
    [offset + 1, offset + n],
  );
}

/** Sync states of every local record: `{ synced: n, failed: n, ... }`, and the failed ones' error classes. */
export async function syncStates(env: TestEnv): Promise<{ states: Record<string, number>; failedClasses: string[] }> {
  const { rows } = await env.pool.query<{ sync_state: string; n: number; classes: string[] }>(
    `SELECT sync_state, count(*)::int AS n, array_agg(DISTINCT last_error_class) AS classes FROM (
       SELECT sync_state, last_error_class FROM customers UNION ALL SELECT sync_state, last_error_class FROM subscriptions
       UNION ALL SELECT sync_state, last_error_class FROM invoices UNION ALL SELECT sync_state, last_error_class FROM payments
     ) r GROUP BY sync_state`,
  );
  return {
    states: Object.fromEntries(rows.map((r) => [r.sync_state, r.n])),
    failedClasses: rows.filter((r) => r.sync_state === 'failed').flatMap((r) => r.classes),
  };
}

/** A server a fault test stops and starts again (test/stack.ts `Restartable`). */
interface Interruptible {
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * Backfills `customers` seeded customers (4 records each) to ZOHO and stops `server` once the backfill is under way,
 * waits for `whileDown` (the outage being noticed), starts it again, and checks the backfill completes with every
 * record synced and none created twice.
 *
 * @example
 * await backfillAcrossOutage(env, { server: stack.temporal, name: 'temporal-restart', customers: 30 });
 */
export async function backfillAcrossOutage(
  env: BackfillTestEnv,
  options: {
    server: Interruptible;
    name: string;
    customers: number;
    whileDown?: (workflowId: string) => Promise<unknown>;
  },
): Promise<void> {
  const { server, customers } = options;
  const synced = async () => (await syncStates(env)).states.synced ?? 0;
  await seedBilling(env, customers);
  // Slow calls keep activities in flight when the server goes away.
  await env.simControl('faults', { latencyMs: 20 });
  const { handle } = await startRun(env.client, {
    workflow: 'backfill',
    workflowId: `backfill-${options.name}-${randomUUID()}`,
    taskQueue: env.config.taskQueues.main,
    kind: 'backfill',
    summary: `Backfill across an outage (${options.name})`,
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

  await server.stop();
  const atStop = await synced();
  assert.ok(atStop < customers * 4, `the backfill was still running when the server stopped (${atStop} synced)`);
  await options.whileDown?.(handle.workflowId);
  await server.start();

  const result = (await handle.result()) as BackfillStatus;
  assert.equal(result.status, 'completed');
  assert.deepEqual((await syncStates(env)).states, { synced: customers * 4 });
  const stats = await env.simStats();
  assert.equal(stats.duplicateCreates.total, 0, 'no record was created twice');
  const each = { customers, subscriptions: customers, invoices: customers, payments: customers };
  assert.deepEqual(stats.records, each);
}
