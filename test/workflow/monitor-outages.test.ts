import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { observe, type OutageTracker } from '../../src/incidents/outages.js';
import { startRun } from '../../src/temporal/start.js';
import type { RunStatus } from '../../src/workflows/run-status.js';
import { eventually, startTestEnv, type TestEnv } from '../harness.js';
import { mailTo } from '../incident-doubles.js';

interface IncidentRow {
  id: string;
  status: string;
  severity: string;
  trigger_count: number;
  timeline: Array<{ type: string; by?: string; message?: string }>;
}

describe('outage paging by the monitor', () => {
  let env: TestEnv;
  const ops = `ops-${randomUUID().slice(0, 8)}@example.com`;
  before(async () => {
    env = await startTestEnv({
      highlevelSimulator: true,
      zohoSimulator: true,
      env: { OPSFLOW_ESCALATION_L1_EMAILS: ops },
    });
  });
  after(() => env.stop());

  const zohoOutage = async (outage: boolean) => {
    const res = await fetch(`${env.zohoSimulator!.url}/__sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outage }),
    });
    assert.equal(res.status, 200);
  };

  const monitor = async (): Promise<RunStatus> => {
    const { handle } = await startRun(env.client, {
      workflow: 'monitorIntegrations',
      workflowId: `monitor-outage-${randomUUID()}`,
      taskQueue: env.config.taskQueues.main,
      kind: 'monitor',
      summary: 'Outage test',
      args: [],
    });
    return (await handle.result()) as RunStatus;
  };

  const zohoIncidents = async (): Promise<IncidentRow[]> =>
    (
      await env.pool.query<IncidentRow>(
        `SELECT id, status, severity, trigger_count, timeline FROM incidents
          WHERE dedup_key = 'integration-down:zoho' ORDER BY opened_at`,
      )
    ).rows;

  it('opens one P1 incident after the second failed check, grows it, pages level 1 and resolves after two healthy checks', async () => {
    await zohoOutage(true);
    const first = await monitor();
    assert.equal(first.steps.find((s) => s.name === 'zoho')?.status, 'failed');
    assert.deepEqual(await zohoIncidents(), [], 'one failed check pages nobody');

    await monitor();
    const [opened] = await eventually(async () => {
      const rows = await zohoIncidents();
      return rows.length === 1 ? rows : undefined;
    });
    assert.equal(opened!.severity, 'P1');
    assert.equal(opened!.status, 'open');
    const mail = await eventually(async () => {
      const messages = await mailTo(ops);
      return messages.find((m) => m.subject.includes('zoho is down'));
    }, 30_000);
    assert.ok(mail, 'the level-1 email reached the mail server');

    await monitor();
    await eventually(async () => ((await zohoIncidents())[0]!.trigger_count === 2 ? true : undefined));
    assert.equal((await zohoIncidents()).length, 1, 'a long outage stays one incident');

    await zohoOutage(false);
    await monitor();
    assert.equal((await zohoIncidents())[0]!.status, 'open', 'one healthy check does not resolve it');
    const recovered = await monitor();
    assert.match(recovered.steps.find((s) => s.name === 'outages')!.summary, /zoho down: resolved/);
    const resolved = await eventually(async () => {
      const row = (await zohoIncidents())[0]!;
      return row.status === 'resolved' ? row : undefined;
    });
    assert.ok(resolved.timeline.some((e) => e.type === 'resolved' && e.by === 'monitor'));
  });

  it('opens a new incident for a later outage, not the resolved one again', async () => {
    const before = await zohoIncidents();
    await zohoOutage(true);
    await monitor();
    await monitor();
    const rows = await eventually(async () => {
      const all = await zohoIncidents();
      return all.length === before.length + 1 ? all : undefined;
    });
    const latest = rows.at(-1)!;
    assert.ok(!before.some((r) => r.id === latest.id));
    assert.equal(latest.status, 'open');
    await zohoOutage(false);
    await monitor();
    await monitor();
    await eventually(async () => ((await zohoIncidents()).at(-1)!.status === 'resolved' ? true : undefined));
  });

  it('does not page an integration that flaps (down, up, down, up)', async () => {
    const before = (await zohoIncidents()).length;
    for (const outage of [true, false, true, false]) {
      await zohoOutage(outage);
      await monitor();
    }
    assert.equal((await zohoIncidents()).length, before);
  });
});

describe('outage rules', () => {
  const policy = { openAfter: 2, resolveAfter: 2 };
  const run = (
    verdicts: Array<'bad' | 'good' | 'neither'>,
    start: OutageTracker = { consecutiveBad: 0, consecutiveGood: 0 },
  ) => {
    let tracker = start;
    return verdicts.map((v) => {
      const next = observe(tracker, v, policy);
      tracker = next.decision?.action === 'open' ? { ...next.tracker, incidentId: 'inc-1' } : next.tracker;
      return next.decision?.action ?? '-';
    });
  };

  it('opens on the second failure, grows while it lasts, resolves on the second success', () => {
    assert.deepEqual(run(['bad', 'bad', 'bad', 'good', 'bad', 'good', 'good']), [
      '-',
      'open',
      'grow',
      '-',
      'grow',
      '-',
      'resolve',
    ]);
  });

  it('counts a down check as neither for the degraded tracker', () => {
    assert.deepEqual(run(['bad', 'neither', 'bad']), ['-', '-', 'open']);
  });
});
