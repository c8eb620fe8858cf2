import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startRun } from '../../src/temporal/start.js';
import type { RunStatus } from '../../src/workflows/run-status.js';
import { eventually } from '../harness.js';
import { startRunbookEnv, type RunbookEnv } from './runbook-fixtures.js';

describe('alert rules in the monitor', () => {
  let r: RunbookEnv;
  before(async () => {
    r = await startRunbookEnv();
    // Only this file's rules: incidents are keyed by rule id, and other files share the Temporal namespace.
    await r.env.pool.query('UPDATE alert_rules SET enabled = false');
  });
  after(() => r.stop());

  async function rule(autoResolve: boolean): Promise<string> {
    const id = `test-webhook-failures-${randomUUID().slice(0, 8)}`;
    await r.env.pool.query(
      `INSERT INTO alert_rules (id, name, metric, comparison, threshold, window_minutes, severity, auto_resolve)
       VALUES ($1, 'Webhook failures (test)', 'webhook_failure_rate', '>', 10, 60, 'P3', $2)`,
      [id, autoResolve],
    );
    return id;
  }

  /** 20 deliveries of the last few minutes, `failed` of them failed: a failure rate of failed × 5 %. */
  async function deliveries(tag: string, failed: number) {
    await r.env.pool.query(`DELETE FROM webhook_deliveries`);
    await r.env.pool.query(
      `INSERT INTO webhook_deliveries (target_url, event_type, payload, status, created_at)
       SELECT 'http://127.0.0.1:9/' || $1, 'test', '{}', CASE WHEN g <= $2 THEN 'failed' ELSE 'delivered' END,
              now() - interval '5 minutes'
         FROM generate_series(1, 20) AS g`,
      [tag, failed],
    );
  }

  async function monitor(): Promise<RunStatus> {
    const { handle } = await startRun(r.env.client, {
      workflow: 'monitorIntegrations',
      workflowId: `monitor-alert-test-${randomUUID()}`,
      taskQueue: r.env.config.taskQueues.main,
      kind: 'monitor',
      summary: 'Monitor (alert rule test)',
      args: [],
    });
    return (await handle.result()) as RunStatus;
  }

  const incidentsOf = async (ruleId: string) =>
    (
      await r.env.pool.query<{ id: string; status: string; trigger_count: number }>(
        'SELECT id, status, trigger_count FROM incidents WHERE dedup_key = $1',
        [ruleId],
      )
    ).rows;

  it('opens exactly one incident for a rule however often it fires', async () => {
    const ruleId = await rule(false);
    await deliveries(ruleId, 5); // 25 % > 10 %
    for (let i = 0; i < 3; i++) {
      const run = await monitor();
      assert.match(run.steps.find((s) => s.name === 'alert rules')!.summary, new RegExp(`firing: ${ruleId} \\(25\\)`));
    }
    const opened = await eventually(async () => {
      const rows = await incidentsOf(ruleId);
      return rows.length === 1 && rows[0]!.status === 'open' ? rows : undefined;
    });
    const events = await r.env.pool.query<{ state: string; incident_id: string | null }>(
      'SELECT state, incident_id FROM alert_events WHERE rule_id = $1 ORDER BY id',
      [ruleId],
    );
    assert.deepEqual(
      events.rows.map((e) => [e.state, e.incident_id]),
      [['firing', opened[0]!.id]],
    );

    // It clears (no auto-resolve: the incident stays open) and fires again: merged into the same incident.
    await deliveries(ruleId, 0);
    await monitor();
    await deliveries(ruleId, 6);
    await monitor();
    const merged = await eventually(async () => {
      const rows = await incidentsOf(ruleId);
      return rows[0]?.trigger_count === 2 ? rows : undefined;
    });
    assert.equal(merged.length, 1);
    assert.equal(merged[0]!.id, opened[0]!.id);
    assert.equal(merged[0]!.status, 'open');
  });

  it('resolves the incident when a rule with auto_resolve clears', async () => {
    const ruleId = await rule(true);
    await deliveries(ruleId, 4); // 20 %
    await monitor();
    const [incident] = await eventually(async () => {
      const rows = await incidentsOf(ruleId);
      return rows.length === 1 ? rows : undefined;
    });
    await deliveries(ruleId, 1); // 5 %: clear
    const run = await monitor();
    assert.equal(run.steps.find((s) => s.name === 'alert rules')!.status, 'ok');
    const resolved = await eventually(async () => {
      const rows = await incidentsOf(ruleId);
      return rows[0]?.status === 'resolved' ? rows : undefined;
    });
    assert.equal(resolved[0]!.id, incident!.id);
    const states = await r.env.pool.query<{ state: string }>(
      'SELECT state FROM alert_events WHERE rule_id = $1 ORDER BY id',
      [ruleId],
    );
    assert.deepEqual(
      states.rows.map((s) => s.state),
      ['firing', 'cleared'],
    );
  });
});
