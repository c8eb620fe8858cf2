import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { seedBilling } from '../backfill-env.js';
import { eventually, startTestEnv, type TestEnv } from '../harness.js';

const ALL = ['customers', 'subscriptions', 'invoices', 'payments'];
type Run = { id: string; status: string; progress?: { processed: number; succeeded: number } };

describe('reading backfills and reconciliations when no worker runs', () => {
  let env: TestEnv;
  const finished: Record<string, Run> = {};
  let paused: string;

  async function get(path: string) {
    return env.api!.request<Run & { error?: { code: string; message: string } }>('GET', path);
  }

  async function startAndWait(path: string, body: unknown, done: string[]): Promise<Run> {
    const started = await env.api!.request<{ id: string }>('POST', path, { body });
    assert.equal(started.status, 201);
    return eventually(
      async () => {
        const r = await get(`${path}/${started.body.id}`);
        return done.includes(r.body.status) ? r.body : undefined;
      },
      30_000,
      `${path} to reach ${done.join(' or ')}`,
    );
  }

  before(async () => {
    env = await startTestEnv({ api: true, zohoSimulator: true });
    await seedBilling(env, 3);
    finished.backfill = await startAndWait('/backfills', { integration: 'zoho', entities: ALL, mode: 'unsynced' }, [
      'completed',
    ]);
    finished.reconciliation = await startAndWait(
      '/reconciliations',
      { integration: 'zoho', entities: ALL, repair: 'none' },
      ['completed'],
    );
    // A run that is still going: a budget of one call a minute holds it between pages, where it is paused.
    const slow = await env.api!.request<{ id: string }>('POST', '/backfills', {
      body: { integration: 'zoho', entities: ['customers'], mode: 'all', maxRequestsPerMinute: 1 },
    });
    paused = slow.body.id;
    await eventually(async () => (await env.api!.request('POST', `/backfills/${paused}/pause`)).status === 200);

    await env.workers.stop();
  });
  after(async () => {
    await env.client.workflow
      .getHandle(paused)
      .terminate('test over')
      .catch(() => undefined);
    await env.stop();
  });

  it('answers a finished backfill with its final progress', async () => {
    assert.equal(finished.backfill!.progress!.succeeded, 12, 'the backfill pushed the 12 seeded records');
    const r = await get(`/backfills/${finished.backfill!.id}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, finished.backfill);
  });

  it('answers a finished reconciliation with its stored summary', async () => {
    const r = await get(`/reconciliations/${finished.reconciliation!.id}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, finished.reconciliation);
  });

  it('answers a running backfill with a 503 instead of hanging', async () => {
    const started = Date.now();
    const r = await get(`/backfills/${paused}`);
    assert.equal(r.status, 503);
    assert.equal(r.body.error?.code, 'worker_unavailable');
    assert.match(r.body.error!.message, /no worker/i);
    assert.ok(Date.now() - started < 15_000, 'the answer comes within the query timeout');
  });

  it('still answers 404 for an unknown run', async () => {
    assert.equal((await get('/backfills/backfill-zoho-nonexistent')).status, 404);
    assert.equal((await get('/reconciliations/reconciliation-zoho-nonexistent')).status, 404);
  });
});
