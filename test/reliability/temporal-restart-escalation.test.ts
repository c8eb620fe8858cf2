/**
 * Fault: the Temporal server goes away while an incident waits on its acknowledgement timer, and comes back (same
 * state file, same port). The escalation must still fire, the operator actions must still work, and the workers
 * and the API must reconnect by themselves. A private stack, since the server is restarted.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventually, startTestEnv, type TestEnv } from '../harness.js';
import { mailTo } from '../incident-doubles.js';
import { startFaultStack, type PrivateStack } from '../stack.js';

const run = randomUUID().slice(0, 8);
const ops = `ops-${run}@example.test`;
const eng = `eng-${run}@example.test`;

interface IncidentView {
  status: string;
  level: number;
  nextDeadline?: string;
  timeline: Array<{ type: string; level?: number; channel?: string }>;
}

describe('Temporal restarted during an escalation wait', () => {
  let stack: PrivateStack;
  let env: TestEnv;
  before(async () => {
    stack = await startFaultStack('fault-temporal-escalation');
    env = await startTestEnv({
      api: true,
      env: {
        OPSFLOW_ESCALATION_L1_EMAILS: ops,
        OPSFLOW_ESCALATION_L2_EMAILS: eng,
        OPSFLOW_INCIDENT_POLICY: '{"P1": {"repeats": 0}}',
      },
    });
  });
  after(async () => {
    await env?.stop();
    await stack?.stop();
  });

  const titled = async (to: string, title: string) => (await mailTo(to)).filter((m) => m.subject.includes(title));
  const health = async () => (await env.api!.request('GET', '/health', { token: null })).status;

  it('escalates to level 2 after the restart; acknowledge and resolve still work; nothing is sent twice', async () => {
    const api = env.api!;
    const title = `Temporal restart ${run}`;
    const opened = await api.request<{ id: string }>('POST', '/incidents', {
      body: { title, severity: 'P1', ackTimeoutSeconds: 10 },
    });
    assert.equal(opened.status, 201);
    const read = async () => (await api.request<IncidentView>('GET', `/incidents/${opened.body.id}`)).body;
    const waiting = await eventually(
      async () => {
        const incident = await read();
        return incident.nextDeadline && (await titled(ops, title)).length === 1 ? incident : undefined;
      },
      20_000,
      'the level-1 notice and the acknowledgement timer',
    );

    await stack.temporal.stop();
    assert.equal(await health(), 503, 'the API reports Temporal down');
    // Keep the server down until the level-2 deadline has passed: the timer is due while nothing can fire it.
    await eventually(async () => Date.now() > Date.parse(waiting.nextDeadline!) + 1000, 20_000, 'the deadline');
    assert.equal((await titled(eng, title)).length, 0, 'nothing escalated while the server was down');
    await stack.temporal.start();

    await eventually(async () => (await health()) === 200, 30_000, 'the API to reconnect');
    await eventually(
      async () => (await titled(eng, title)).length === 1,
      30_000,
      'the level-2 notice after the restart',
    );
    const escalated = await read();
    assert.equal(escalated.level, 2);
    assert.ok(env.workers.running(), 'the workers survived the restart');

    const acked = await api.request<IncidentView>('POST', `/incidents/${opened.body.id}/acknowledge`, {
      body: { by: 'alice' },
    });
    assert.equal(acked.status, 200, JSON.stringify(acked.body));
    assert.equal(acked.body.status, 'acknowledged');
    const resolved = await api.request<IncidentView>('POST', `/incidents/${opened.body.id}/resolve`, {
      body: {
        by: 'alice',
        rootCause: 'Temporal restarted',
        resolution: 'It came back',
        prevention: 'None needed',
        customerImpact: 'None',
      },
    });
    assert.equal(resolved.status, 200, JSON.stringify(resolved.body));
    assert.equal(resolved.body.status, 'resolved');

    // Each level was told exactly once: the restart neither lost nor repeated a notice.
    assert.equal((await titled(ops, title)).length, 1);
    assert.equal((await titled(eng, title)).length, 1);
    const notices = resolved.body.timeline.filter((e) => e.type === 'notified').map((e) => e.level);
    assert.deepEqual(notices, [1, 2]);
  });
});
