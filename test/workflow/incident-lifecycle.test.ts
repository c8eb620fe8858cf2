import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { openIncident, policyFor } from '../../src/incidents/open.js';
import type { EscalateIncidentInput, IncidentState } from '../../src/incidents/types.js';
import { eventually, startTestEnv, type TestEnv } from '../harness.js';
import { mailTo } from '../incident-doubles.js';
import {
  acknowledgeUpdate,
  escalateUpdate,
  incidentStatusQuery,
  resolveUpdate,
  triggerUpdate,
} from '../../src/incidents/messages.js';

const run = randomUUID().slice(0, 8);
const ops = `ops-${run}@example.com`;
const postmortem = {
  rootCause: 'Expired certificate',
  resolution: 'Renewed it',
  prevention: 'Alert 30 days ahead',
  customerImpact: 'None',
};

/** `HH:MM` in UTC, `minutes` from now. */
const utcClock = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString().slice(11, 16);

/**
 * The escalation's long-running behaviour inside the workflow: quiet hours, re-opening an incident that was
 * acknowledged but not resolved in time, and continuing as new with its state when the history grows.
 */
describe('incident lifecycle', () => {
  let env: TestEnv;
  const quietEnd = utcClock(60);

  before(async () => {
    env = await startTestEnv({
      env: {
        OPSFLOW_TIMEZONE: 'UTC',
        // Quiet from an hour ago to an hour from now, whatever the time the suite runs at.
        OPSFLOW_QUIET_HOURS: `${utcClock(-60)}-${quietEnd}`,
        OPSFLOW_ESCALATION_L1_EMAILS: ops,
        OPSFLOW_INCIDENT_POLICY: JSON.stringify({
          P1: { ackTimeout: '1h' },
          P2: { ackTimeout: '1h', resolveWithin: '2s' },
          P4: { quiet: true },
        }),
      },
    });
  });
  after(() => env.stop());

  const state = (workflowId: string) => env.client.workflow.getHandle(workflowId).query(incidentStatusQuery);
  const notified = (s: IncidentState) => s.timeline.filter((e) => e.type === 'notified');
  const mailsAbout = async (title: string) => (await mailTo(ops)).filter((m) => m.subject.includes(title));

  it('holds a quiet severity during quiet hours, notifies an urgent one at once, and lets an operator override', async () => {
    const quiet = await openIncident(env.client, env.config, { title: `Quiet ${run}`, severity: 'P4' });
    const urgent = await openIncident(env.client, env.config, { title: `Urgent ${run}`, severity: 'P1' });

    const held = await eventually(async () => {
      const s = await state(quiet.workflowId);
      return s.pausedBy ? s : undefined;
    });
    assert.equal(held.pausedBy, 'quiet hours');
    assert.equal(held.pausedUntil?.slice(11, 16), quietEnd);
    assert.ok(held.timeline.some((e) => e.type === 'paused' && e.message?.startsWith('quiet hours until')));

    await eventually(async () => ((await mailsAbout(`Urgent ${run}`)).length === 1 ? true : undefined));
    assert.equal(notified(await state(quiet.workflowId)).length, 0);
    assert.equal((await mailsAbout(`Quiet ${run}`)).length, 0);

    // An operator's "escalate now" is a person deciding to wake people: quiet hours do not hold it.
    await env.client.workflow
      .getHandle(quiet.workflowId)
      .executeUpdate(escalateUpdate, { args: [{ by: 'alice', message: 'customer reported it' }] });
    await eventually(async () => ((await mailsAbout(`Quiet ${run}`)).length === 1 ? true : undefined));

    for (const { workflowId } of [quiet, urgent])
      await env.client.workflow
        .getHandle(workflowId)
        .executeUpdate(resolveUpdate, { args: [{ by: 'bob', ...postmortem }] });
  });

  it('re-opens an acknowledged incident not resolved in time and notifies again', async () => {
    const title = `Reopen ${run}`;
    const incident = await openIncident(env.client, env.config, { title, severity: 'P2' });
    await eventually(async () => ((await mailsAbout(title)).length === 1 ? true : undefined));
    const handle = env.client.workflow.getHandle(incident.workflowId);
    const acked = await handle.executeUpdate(acknowledgeUpdate, {
      args: [{ by: 'carol' }],
    });
    assert.equal(acked.status, 'acknowledged');

    const reopened = await eventually(
      async () => {
        const s = await state(incident.workflowId);
        return s.status === 'open' && notified(s).length >= 2 ? s : undefined;
      },
      15_000,
      're-open after 2 s and a second notice',
    );
    const types = reopened.timeline.map((e) => e.type);
    assert.ok(types.indexOf('acknowledged') < types.indexOf('reopened'));
    const reopenedAt = Date.parse(reopened.timeline.find((e) => e.type === 'reopened')!.at);
    assert.ok(reopenedAt - Date.parse(acked.acknowledgedAt!) >= 2000, 'not before the resolve-within time');
    assert.match(reopened.timeline.find((e) => e.type === 'reopened')!.message!, /not resolved within 2 s/);
    assert.equal((await mailsAbout(title)).length, 2);
    await handle.executeUpdate(resolveUpdate, { args: [{ by: 'carol', ...postmortem }] });
  });

  it('continues as new when its history grows, keeping its timeline, counters and handlers', async () => {
    const workflowId = `${env.config.idPrefix}incident-can-${run}`;
    const title = `Long-lived ${run}`;
    const input: EscalateIncidentInput = {
      id: workflowId,
      trigger: { title, severity: 'P1', dedupKey: `can-${run}` },
      policy: policyFor(env.config, 'P1'),
      incidentUrl: `https://opsflow.example.test/incidents/${workflowId}`,
      historyLimit: 40,
    };
    const handle = await env.client.workflow.start('escalateIncident', {
      workflowId,
      taskQueue: env.config.taskQueues.main,
      args: [input],
    });
    const firstRunId = handle.firstExecutionRunId;
    await eventually(async () => ((await mailsAbout(title)).length === 1 ? true : undefined));

    const triggers = 15;
    for (let i = 0; i < triggers; i++) await handle.executeUpdate(triggerUpdate, { args: [{ message: `again ${i}` }] });

    const carried = await eventually(async () => {
      const description = await env.client.workflow.getHandle(workflowId).describe();
      return description.runId !== firstRunId ? await state(workflowId) : undefined;
    });
    // Started without a trigger (as update-with-start would deliver): the first trigger opens, the rest merge.
    assert.equal(carried.triggerCount, triggers);
    assert.equal(carried.timeline[0]?.type, 'opened');
    assert.equal(carried.timeline.filter((e) => e.type === 'triggered').length, triggers - 1);
    assert.equal(notified(carried).length, 1, 'the new run does not notify again');

    // The new run still answers people: acknowledge and resolve end it.
    await env.client.workflow.getHandle(workflowId).executeUpdate(acknowledgeUpdate, { args: [{ by: 'dave' }] });
    await env.client.workflow
      .getHandle(workflowId)
      .executeUpdate(resolveUpdate, { args: [{ by: 'dave', ...postmortem }] });
    const final = await env.client.workflow.getHandle(workflowId).result();
    assert.equal((final as IncidentState).status, 'resolved');
    assert.equal((await mailsAbout(title)).length, 1);
  });
});
