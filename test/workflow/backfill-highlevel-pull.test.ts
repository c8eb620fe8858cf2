import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startRun } from '../../src/temporal/start.js';
import type { BackfillInput, BackfillStatus } from '../../src/workflows/backfill/backfill.js';
import { startTestEnv, type TestEnv } from '../harness.js';
import { locationInstallation } from '../highlevel-fixtures.js';

/** Two calls per location per second: the third page of a location in a row meets HighLevel's burst 429. */
const LIMITS = { burst: 2, intervalMs: 1000 };

describe('backfill: HighLevel contacts pull', () => {
  let env: TestEnv;
  /** Location id → contacts the simulator holds for it. */
  const seeded: Record<string, number> = {};
  let big: string;
  let small: string;
  let uninstalled: string;

  const sim = async (path: string, body?: unknown) => {
    const res = await fetch(`${env.highlevelSimulator!.url}/__sim/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as { requestsByStatus: Record<string, number> };
  };

  async function pull(): Promise<BackfillStatus> {
    const { handle } = await startRun(env.client, {
      workflow: 'backfill',
      workflowId: `backfill-highlevel-test-${randomUUID()}`,
      taskQueue: env.config.taskQueues.main,
      kind: 'backfill',
      summary: 'HighLevel pull test',
      args: [{ integration: 'highlevel', entities: ['contacts'], mode: 'all' } satisfies BackfillInput],
    });
    return (await handle.result()) as BackfillStatus;
  }

  async function storedContacts(): Promise<Record<string, { rows: number; ids: number; foreign: number }>> {
    const { rows } = await env.pool.query<{ location_id: string; rows: number; ids: number; foreign: number }>(
      `SELECT location_id, count(*)::int AS rows, count(DISTINCT contact_id)::int AS ids,
              count(*) FILTER (WHERE email NOT LIKE '%@' || lower(location_id) || '.example')::int AS foreign
         FROM hl_contacts GROUP BY location_id`,
    );
    return Object.fromEntries(rows.map(({ location_id, ...r }) => [location_id, r]));
  }

  before(async () => {
    env = await startTestEnv({ highlevelSimulator: { limits: LIMITS } });
    big = (await locationInstallation(env)).locationId;
    small = (await locationInstallation(env)).locationId;
    const gone = await locationInstallation(env);
    uninstalled = gone.locationId;
    await gone.tokenStore.revoke(gone.id, 'test: app uninstalled');
    Object.assign(seeded, { [big]: 250, [small]: 30, [uninstalled]: 40 });
    await sim('seed', { contacts: Object.entries(seeded).map(([locationId, count]) => ({ locationId, count })) });
  });
  after(() => env.stop());

  it('pulls every contact of every installed location, page by page past the first, waiting out 429s', async () => {
    const result = await pull();

    assert.equal(result.status, 'completed');
    assert.deepEqual(await storedContacts(), {
      [big]: { rows: 250, ids: 250, foreign: 0 },
      [small]: { rows: 30, ids: 30, foreign: 0 },
    });
    assert.deepEqual(result.progress, { processed: 280, succeeded: 280, failed: 0, skipped: 0 });
    const stats = await sim('stats');
    // 250 contacts are three pages of 100 (the 2nd and 3rd after the previous page's searchAfter), 30 are one.
    assert.equal(stats.requestsByStatus['200'], 4, 'each page fetched once, none repeated');
    assert.ok((stats.requestsByStatus['429'] ?? 0) >= 1, "the big location's third page met the burst limit");
    assert.equal(result.apiCalls, 4);
  });

  it('writes nothing twice when run again', async () => {
    const before = await env.pool.query<{ contact_id: string; location_id: string }>(
      'SELECT location_id, contact_id FROM hl_contacts ORDER BY 1, 2',
    );
    const result = await pull();

    assert.equal(result.status, 'completed');
    assert.equal(result.progress.succeeded, 280, 'the same contacts, upserted');
    const again = await env.pool.query('SELECT location_id, contact_id FROM hl_contacts ORDER BY 1, 2');
    assert.deepEqual(again.rows, before.rows);
  });

  it('skips an uninstalled location', async () => {
    // Its own pull (a repeat changes nothing), so the case stands alone: the installed locations are pulled, the
    // uninstalled one's 40 contacts at the simulator are not.
    assert.equal((await pull()).status, 'completed');
    const stored = await storedContacts();
    assert.equal(stored[small]?.rows, 30, 'an installed location was pulled');
    assert.equal(stored[uninstalled], undefined, 'nothing of the uninstalled location');
    assert.equal(seeded[uninstalled], 40, 'the simulator holds contacts for it');
  });
});
