import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ZOHO_ENTITIES } from '../../src/backfill/entities.js';
import { KNOWN_MISMATCHES } from '../../src/dev/seed/billing.js';
import { seedDemoData } from '../../src/dev/seed/index.js';
import { eventually, startTestEnv, type TestEnv } from '../harness.js';

type Counts = { missingRemote: number; missingLocal: number; different: number };
type Summary = Counts & { local: number; matched: number; unsynced: number };
type Reconciliation = { id: string; status: string; summary: Record<string, Summary> };

/** The report's kind for each of the seed's planted mismatches. */
const KIND = { different: 'different', missingLocally: 'missing-local', missingRemotely: 'missing-remote' } as const;
const COUNTER = { different: 'different', missingLocally: 'missingLocal', missingRemotely: 'missingRemote' } as const;

/** Per entity, the mismatch counts a reconciliation of freshly seeded demo data must report. */
function expectedCounts(): Record<string, Counts> {
  const counts = Object.fromEntries(
    ZOHO_ENTITIES.map((e) => [e, { missingRemote: 0, missingLocal: 0, different: 0 } as Counts]),
  );
  for (const [key, m] of Object.entries(KNOWN_MISMATCHES)) counts[m.entity]![COUNTER[key as keyof typeof COUNTER]]++;
  return counts;
}

const countsOf = (r: Reconciliation) =>
  Object.fromEntries(
    Object.entries(r.summary).map(([e, s]) => [
      e,
      { missingRemote: s.missingRemote, missingLocal: s.missingLocal, different: s.different },
    ]),
  );

describe('reconciliation of the demo data', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ api: true, highlevelSimulator: true, zohoSimulator: true });
    // The seeder `npm start` runs on an empty database, into this environment's own simulators.
    const seeded = await seedDemoData({
      pool: env.pool,
      config: env.config,
      log: env.log,
      simulators: { highlevel: env.highlevelSimulator!.url, zoho: env.zohoSimulator!.url },
    });
    assert.equal(seeded, true);
  });
  after(() => env.stop());

  async function reconcile(): Promise<Reconciliation> {
    const started = await env.api!.request<{ id: string }>('POST', '/reconciliations', {
      body: { integration: 'zoho', entities: [...ZOHO_ENTITIES], repair: 'approval' },
    });
    assert.equal(started.status, 201);
    return waitFor(started.body.id, ['awaiting-approval', 'completed']);
  }

  function waitFor(id: string, states: string[]): Promise<Reconciliation> {
    return eventually(
      async () => {
        const r = await env.api!.request<Reconciliation>('GET', `/reconciliations/${id}`);
        return states.includes(r.body.status) ? r.body : undefined;
      },
      60_000,
      `reconciliation ${id} to be ${states.join(' or ')}`,
    );
  }

  it('finds exactly the seeded mismatches, repairs them once approved, and then finds none', async () => {
    const first = await reconcile();
    assert.equal(first.status, 'awaiting-approval');
    assert.deepEqual(countsOf(first), expectedCounts());
    // Records never synced are not mismatches: they are counted apart, and every local record is accounted for.
    for (const [entity, s] of Object.entries(first.summary)) {
      const { rows: unsynced } = await env.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${entity} WHERE zoho_id IS NULL AND sync_state <> 'synced'`,
      );
      assert.equal(s.unsynced, unsynced[0]!.n, `${entity}: unsynced`);
      assert.equal(s.matched + s.missingRemote + s.different + s.unsynced, s.local, `${entity}: every record counted`);
    }
    const { rows } = await env.pool.query(
      `SELECT entity, kind, reference FROM reconciliation_mismatches WHERE reconciliation_id = $1
        ORDER BY entity, kind, reference`,
      [first.id],
    );
    const planted = Object.entries(KNOWN_MISMATCHES)
      .map(([key, m]) => ({ entity: m.entity, kind: KIND[key as keyof typeof KIND], reference: m.reference }))
      .sort((a, b) => `${a.entity} ${a.kind}`.localeCompare(`${b.entity} ${b.kind}`));
    assert.deepEqual(rows, planted);

    const approved = await env.api!.request('POST', `/reconciliations/${first.id}/approve`, {
      body: { by: 'ops@example.test' },
    });
    assert.equal(approved.status, 200);
    const repaired = await waitFor(first.id, ['completed', 'failed']);
    assert.equal(repaired.status, 'completed');

    const second = await reconcile();
    assert.equal(second.status, 'completed', 'nothing to repair, so no approval is asked for');
    const none = Object.fromEntries(ZOHO_ENTITIES.map((e) => [e, { missingRemote: 0, missingLocal: 0, different: 0 }]));
    assert.deepEqual(countsOf(second), none);
  });
});
