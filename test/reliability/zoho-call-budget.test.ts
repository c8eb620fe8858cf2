/**
 * The organization-wide ZOHO call budget: every worker, run and runbook books its calls in one budget kept in
 * PostgreSQL, so calls together stay within ZOHO_CALLS_PER_MINUTE however many backfills run at once.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createCallBudget } from '../../src/integrations/call-budget.js';
import { ErrorClass, IntegrationError } from '../../src/integrations/errors.js';
import { createZohoClient } from '../../src/integrations/zoho/client.js';
import { startRun } from '../../src/temporal/start.js';
import type { BackfillInput, BackfillStatus } from '../../src/workflows/backfill/backfill.js';
import { seedBilling, startBackfillEnv, syncStates, type BackfillTestEnv } from '../backfill-env.js';

/** The configured budget: two thirds of the simulator's lowered limit below. */
const BUDGET_PER_MINUTE = 240;
/**
 * The simulator's own limit, per its (shortened) per-minute window: 12 calls per 2 s, i.e. 360 a minute. The budget
 * spaces calls 250 ms apart (9 per window); the margin lets a call that wakes late on a loaded machine through.
 */
const SIM_LIMIT = { perMinute: 12, windowSeconds: 2 };

/** Calls the spacing allows in `ms`: one per interval, plus the one that opens it. */
const allowedIn = (ms: number, perMinute: number) => Math.floor(ms / (60_000 / perMinute)) + 1;

describe('organization-wide ZOHO call budget', () => {
  let env: BackfillTestEnv;
  before(async () => {
    env = await startBackfillEnv({ env: { ZOHO_CALLS_PER_MINUTE: String(BUDGET_PER_MINUTE) } });
  });
  after(() => env.stop());
  beforeEach(async () => {
    await env.simControl('reset');
    await env.simControl('limits', SIM_LIMIT);
  });

  /** API calls the simulator answered or refused (the token grant is not an API call). */
  async function apiCalls() {
    const stats = await env.simStats();
    return { total: stats.requests.total - stats.tokens.granted, refused429: stats.requests.byStatus['429'] ?? 0 };
  }

  it('keeps two concurrent backfills, each within its own cap, together within the budget with zero 429s', async () => {
    await seedBilling(env, 24);
    const { rows } = await env.pool.query<{ id: number }>('SELECT id FROM customers ORDER BY id');
    const ids = rows.map((r) => Number(r.id));
    const before = await apiCalls();
    const started = Date.now();
    // Each run's own cap (180/min) is below the budget, but a run sends its page before pacing itself: without
    // the shared budget the two pages (48 calls) would go out within a window and be refused.
    const results = await Promise.all(
      [ids.slice(0, 12), ids.slice(12)].map(async (customers) => {
        const { handle } = await startRun(env.client, {
          workflow: 'backfill',
          workflowId: `backfill-zoho-budget-${randomUUID()}`,
          taskQueue: env.config.taskQueues.main,
          kind: 'backfill',
          summary: 'Call budget test',
          args: [
            {
              integration: 'zoho',
              entities: ['customers'],
              mode: 'unsynced',
              recordIds: { customers },
              maxRequestsPerMinute: 180,
            } satisfies BackfillInput,
          ],
        });
        return (await handle.result()) as BackfillStatus;
      }),
    );
    const elapsed = Date.now() - started;

    for (const result of results) {
      assert.equal(result.status, 'completed');
      assert.equal(result.progress.succeeded, 12);
    }
    assert.deepEqual((await syncStates(env)).states, { synced: 24, pending: 72 });
    const after = await apiCalls();
    const calls = after.total - before.total;
    assert.equal(after.refused429, 0, 'ZOHO never refused a call');
    assert.equal(calls, 48, 'a look-up and a create per customer, nothing repeated');
    assert.ok(
      calls <= allowedIn(elapsed, BUDGET_PER_MINUTE),
      `${calls} calls in ${elapsed} ms is above ${BUDGET_PER_MINUTE}/min`,
    );
  });

  it('shares the budget between workers: two clients calling at once stay within it', async () => {
    // Two clients are what two worker processes hold: they share nothing but the database.
    const budgetPerMinute = 600;
    await env.simControl('limits', { perMinute: 25, windowSeconds: 2 });
    const config = { ...env.config, zoho: { ...env.config.zoho, callsPerMinute: budgetPerMinute } };
    const workers = [1, 2].map(() => createZohoClient({ config, pool: env.pool, log: env.log }));
    const before = await apiCalls();
    const started = Date.now();
    await Promise.all(
      workers.map(async (zoho) => {
        for (let i = 0; i < 15; i++) await zoho.customers.listPage({ perPage: 1 });
      }),
    );
    const elapsed = Date.now() - started;
    const after = await apiCalls();
    assert.equal(after.refused429, 0, 'ZOHO never refused a call');
    assert.equal(after.total - before.total, 30);
    assert.ok(30 <= allowedIn(elapsed, budgetPerMinute), `30 calls in ${elapsed} ms is above ${budgetPerMinute}/min`);
  });

  it('refuses a call whose slot is further ahead than the longest wait, saying when to retry', async () => {
    // 6 a minute: one slot every 10 s, so the second caller would wait 10 s, longer than the 2 s allowed.
    const budget = createCallBudget({
      pool: env.pool,
      log: env.log,
      integration: 'zoho',
      scope: `test-${randomUUID()}`,
      callsPerMinute: 6,
      maxWaitMs: 2_000,
    });
    await budget.acquire();
    await assert.rejects(budget.acquire(), (err: unknown) => {
      assert.ok(err instanceof IntegrationError);
      assert.equal(err.errorClass, ErrorClass.RateLimited);
      assert.ok(err.retryAfterMs! >= 7_000 && err.retryAfterMs! <= 8_000, `retry after ${err.retryAfterMs} ms`);
      return true;
    });
  });
});
