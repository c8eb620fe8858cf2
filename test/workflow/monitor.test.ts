import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Health, OpsKind } from '../../src/temporal/search-attributes.js';
import { startRun } from '../../src/temporal/start.js';
import type { RunStatus } from '../../src/workflows/run-status.js';
import { eventually, startTestEnv, type TestEnv } from '../harness.js';
import { runStatusQuery } from '../../src/workflows/run-status.js';

describe('monitor workflow', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ highlevelSimulator: true, zohoSimulator: true });
  });
  after(() => env.stop());

  it('records the database and Temporal checks and is findable by OpsKind and Health', async () => {
    const workflowId = `monitor-test-${randomUUID()}`;
    const { handle } = await startRun(env.client, {
      workflow: 'monitorIntegrations',
      workflowId,
      taskQueue: env.config.taskQueues.main,
      kind: 'monitor',
      summary: 'Monitor test',
      args: [],
    });
    const result = (await handle.result()) as RunStatus;
    assert.equal(result.status, 'completed');
    assert.equal(result.health, 'healthy');
    assert.deepEqual(result.steps.map((s) => s.name).sort(), [
      'alert rules',
      'database',
      'highlevel',
      'outages',
      'sms',
      'smtp',
      'temporal',
      'zoho',
    ]);

    const { rows } = await env.pool.query(
      'SELECT integration, status, run_id FROM integration_health_logs ORDER BY integration',
    );
    assert.deepEqual(
      rows.map((r) => [r.integration, r.status]),
      [
        ['database', 'healthy'],
        ['highlevel', 'healthy'],
        ['sms', 'healthy'],
        ['smtp', 'healthy'],
        ['temporal', 'healthy'],
        ['zoho', 'healthy'],
      ],
    );
    const description = await handle.describe();
    assert.equal(rows[0].run_id, description.runId);
    assert.equal(description.typedSearchAttributes.get(OpsKind), 'monitor');
    assert.equal(description.typedSearchAttributes.get(Health), 'healthy');
    const listed = await eventually(async () => {
      for await (const wf of env.client.workflow.list({ query: `OpsKind='monitor' AND WorkflowId='${workflowId}'` })) {
        return wf.workflowId;
      }
      return undefined;
    });
    assert.equal(listed, workflowId);
    assert.equal(await description.staticSummary(), 'Monitor test');

    const queried = await handle.query(runStatusQuery);
    assert.equal(queried.health, 'healthy');
  });
});
