import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ErrorClass, type IntegrationError } from '../../src/integrations/errors.js';
import { startRun } from '../../src/temporal/start.js';
import type { RunStatus } from '../../src/workflows/run-status.js';
import { startTestEnv, type TestEnv } from '../harness.js';
import { simControl } from '../zoho-helpers.js';

/** The activity attempts and timing of `checkZohoHealth` in a finished run's history. */
async function zohoProbeAttempt(env: TestEnv, workflowId: string) {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const scheduled = events.find(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'checkZohoHealth',
  );
  assert.ok(scheduled, 'checkZohoHealth was scheduled');
  assert.equal(scheduled.activityTaskScheduledEventAttributes?.taskQueue?.name, env.config.taskQueues.zoho);
  const started = events.find(
    (e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled.eventId?.toString(),
  );
  return { attempt: started?.activityTaskStartedEventAttributes?.attempt };
}

async function runMonitor(env: TestEnv): Promise<{ workflowId: string; result: RunStatus }> {
  const workflowId = `monitor-zoho-${randomUUID()}`;
  const { handle } = await startRun(env.client, {
    workflow: 'monitorIntegrations',
    workflowId,
    taskQueue: env.config.taskQueues.main,
    kind: 'monitor',
    summary: 'ZOHO rate-limit test',
    args: [],
  });
  return { workflowId, result: (await handle.result()) as RunStatus };
}

describe('ZOHO rate limits through the zoho task queue', () => {
  let env: TestEnv;
  const control = () => simControl(env.zohoSimulator!.url);
  before(async () => {
    env = await startTestEnv({ zohoSimulator: true, highlevelSimulator: true });
  });
  after(() => env.stop());

  it('waits out a 429 for as long as Retry-After says, then succeeds', async () => {
    await control().limits({ perMinute: 2, windowSeconds: 4 });
    // Use up the window, so the probe's organization-scoped call is refused with code 44.
    let refused: IntegrationError | undefined;
    while (!refused)
      await env.zoho.customers.listPage({ perPage: 1 }).catch((err: IntegrationError) => (refused = err));
    assert.equal(refused.errorClass, ErrorClass.RateLimited);
    const hitsBefore = (await control().stats()).rateLimited['44']!;

    const started = Date.now();
    const { workflowId, result } = await runMonitor(env);
    const zoho = result.steps.find((s) => s.name === 'zoho');
    assert.equal(zoho?.status, 'ok', zoho?.summary);
    assert.equal((await control().stats()).rateLimited['44']! - hitsBefore, 1, 'one 429 during the run, then success');
    assert.equal((await zohoProbeAttempt(env, workflowId)).attempt, 2, 'succeeded on the second attempt');
    // The retry came after Retry-After (the rest of the 4 s window), not the policy's 1 s initial interval.
    assert.ok(Date.now() - started >= refused.retryAfterMs! - 1000, `${Date.now() - started} ms`);
  });

  it('stops at an exhausted daily quota: one refused call, no retries, zoho reported down', async () => {
    await control().reset();
    await control().limits({ perDay: 0 });
    const { workflowId, result } = await runMonitor(env);
    const zoho = result.steps.find((s) => s.name === 'zoho');
    assert.equal(zoho?.status, 'failed');
    assert.match(zoho?.summary ?? '', /code 45/);
    assert.equal((await zohoProbeAttempt(env, workflowId)).attempt, 1, 'QuotaExhausted is not retried');
    assert.equal((await control().stats()).rateLimited['45'], 1);

    const { rows } = await env.pool.query(
      `SELECT details FROM integration_health_logs WHERE integration = 'zoho' AND status = 'down'`,
    );
    assert.equal(rows[0]?.details.errorClass, ErrorClass.QuotaExhausted);

    // The next run does not ask ZOHO again: the client remembers until the quota resets.
    await runMonitor(env);
    assert.equal((await control().stats()).rateLimited['45'], 1);
  });
});
