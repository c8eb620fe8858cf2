import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { openIncident } from '../../src/incidents/open.js';
import type { SmsSimulator } from '../../src/simulators/sms/index.js';
import type { IncidentState, TimelineEvent } from '../../src/incidents/types.js';
import { eventually, startTestEnv, type TestEnv } from '../harness.js';
import { mailTo, startSms, startWebhookReceiver, type WebhookReceiver } from '../incident-doubles.js';
import { acknowledgeUpdate, incidentStatusQuery, resolveUpdate } from '../../src/incidents/messages.js';

const run = randomUUID().slice(0, 8);
const ops = `ops-${run}@example.com`;
const eng = `eng-${run}@example.com`;
const mgmt = `mgmt-${run}@example.com`;
const engPhone = `+1555${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
const mgmtPhone = `+1556${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;

const postmortem = {
  rootCause: 'Connection pool exhausted',
  resolution: 'Raised the pool size',
  prevention: 'Alert on pool saturation',
  customerImpact: 'Checkout slow for 12 minutes',
};

describe('incident escalation', () => {
  let env: TestEnv;
  let hooks: WebhookReceiver;
  let sms: SmsSimulator;

  before(async () => {
    [hooks, sms] = await Promise.all([startWebhookReceiver(), startSms()]);
    env = await startTestEnv({
      env: {
        SMS_API_URL: sms.url,
        OPSFLOW_PUBLIC_URL: 'https://opsflow.example.test',
        OPSFLOW_ESCALATION_L1_EMAILS: ops,
        OPSFLOW_ESCALATION_L1_WEBHOOKS: `slack=${hooks.url}/ops`,
        OPSFLOW_ESCALATION_L2_EMAILS: eng,
        OPSFLOW_ESCALATION_L2_SMS: engPhone,
        OPSFLOW_ESCALATION_L3_EMAILS: mgmt,
        OPSFLOW_ESCALATION_L3_SMS: mgmtPhone,
        OPSFLOW_INCIDENT_POLICY: '{"P1": {"repeats": 2}}',
      },
    });
  });
  after(async () => {
    await env.stop();
    await Promise.all([hooks.stop(), sms.stop()]);
  });

  const open = (title: string, extra: Record<string, unknown> = {}) =>
    openIncident(env.client, env.config, { title, severity: 'P1', ackTimeoutSeconds: 2, source: 'test', ...extra });
  const state = (workflowId: string) => env.client.workflow.getHandle(workflowId).query(incidentStatusQuery);
  const notified = (s: IncidentState, level?: number) =>
    s.timeline.filter((e) => e.type === 'notified' && (level === undefined || e.level === level));
  const smsTo = (phone: string) => sms.messages().filter((m) => m.to === phone);
  const byTitle = async (to: string, title: string) => (await mailTo(to)).filter((m) => m.subject.includes(title));

  it('notifies level 1, escalates to level 2 and 3 on time, repeats the last level twice, then stops', async () => {
    const title = `Checkout errors ${run}`;
    const incident = await open(title);
    assert.equal(incident.deduplicated, false);
    const final = await eventually(
      async () => {
        const s = await state(incident.workflowId);
        return s.exhausted ? s : undefined;
      },
      30_000,
      'escalation to use up its repeats',
    );

    assert.equal(final.level, 3);
    assert.equal(final.nextDeadline, undefined);
    assert.deepEqual(final.rounds.slice(1), [1, 1, 3]);
    // in order, never early, each deadline exactly the time to acknowledge after the notice before it (how late a
    // notice goes out under load is measured by `npm run bench`, not asserted here)
    const firsts = [1, 2, 3].map((l) => notified(final, l).find((e) => e.channel === 'email')!);
    for (const e of firsts) assert.ok(Date.parse(e.at) >= Date.parse(e.dueAt!), `early notice: ${JSON.stringify(e)}`);
    assert.equal(Date.parse(firsts[1]!.dueAt!) - Date.parse(firsts[0]!.at), 2000);
    assert.equal(Date.parse(firsts[2]!.dueAt!) - Date.parse(firsts[1]!.at), 2000);
    const order = final.timeline.filter(
      (e) => e.type === 'escalated' || (e.type === 'notified' && e.channel === 'email'),
    );
    assert.deepEqual(
      order.slice(0, 5).map((e) => `${e.type} ${e.level}`),
      ['notified 1', 'escalated 2', 'notified 2', 'escalated 3', 'notified 3'],
    );

    // what the people got: level 1 once (mail + chat), level 2 once (mail + SMS), level 3 three times
    assert.equal((await byTitle(ops, title)).length, 1);
    assert.equal(hooks.received.filter((r) => r.path === '/ops' && JSON.stringify(r.body).includes(title)).length, 1);
    assert.equal((await byTitle(eng, title)).length, 1);
    assert.equal((await byTitle(mgmt, title)).length, 3);
    assert.equal(smsTo(engPhone).filter((m) => m.body.includes(title)).length, 1);
    assert.equal(smsTo(mgmtPhone).filter((m) => m.body.includes(title)).length, 3);
    assert.ok(final.timeline.some((e) => e.type === 'exhausted'));
  });

  it("sends the level-1 email with the title, a link to the incident's Web UI page and an acknowledge link", async () => {
    const title = `Mail link ${run}`;
    const incident = await open(title, { ackTimeoutSeconds: 60 });
    const [mail] = await eventually(async () => {
      const found = await byTitle(ops, title);
      return found.length > 0 ? found : undefined;
    });
    const { uiUrl, namespace } = env.config.temporal;
    const link = `${uiUrl}/namespaces/${namespace}/workflows/${encodeURIComponent(incident.workflowId)}`;
    assert.match(mail!.subject, new RegExp(title));
    assert.ok(mail!.text.includes(link), mail!.text);
    assert.ok(mail!.html.includes(`href="${link}"`));
    assert.match(mail!.text, new RegExp(`Acknowledge: ${env.config.api.publicUrl}/links/acknowledge\\?token=`));
  });

  it('sends nothing more once acknowledged', async () => {
    const title = `Ack stops ${run}`;
    const incident = await open(title);
    const handle = env.client.workflow.getHandle(incident.workflowId);
    const before = await eventually(async () => {
      const s = await state(incident.workflowId);
      return notified(s, 1).length > 0 && s.nextDeadline ? s : undefined;
    });
    const acked = await handle.executeUpdate(acknowledgeUpdate, {
      args: [{ by: 'alice' }],
    });
    assert.equal(acked.status, 'acknowledged');
    assert.equal(acked.nextDeadline, undefined);
    // wait past the moment level 2 would have been due, then check nobody else was notified
    const due = Date.parse(before.nextDeadline!) + 1500;
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
    const after = await state(incident.workflowId);
    assert.equal(after.level, 1);
    assert.equal(notified(after).length, notified(acked).length);
    assert.equal((await byTitle(eng, title)).length, 0);
    assert.equal(
      after.timeline.findIndex((e) => e.type === 'notified' && Date.parse(e.at) > Date.parse(acked.acknowledgedAt!)),
      -1,
    );
  });

  it('ends concurrent acknowledge and resolve in one consistent state', async () => {
    for (let i = 0; i < 3; i++) {
      const incident = await open(`Race ${i} ${run}`);
      const handle = env.client.workflow.getHandle(incident.workflowId);
      const [ack, resolve] = await Promise.allSettled([
        handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'alice' }] }),
        handle.executeUpdate(resolveUpdate, { args: [{ by: 'bob', ...postmortem }] }),
      ]);
      assert.equal(resolve.status, 'fulfilled');
      const final = (await handle.result()) as IncidentState;
      assert.equal(final.status, 'resolved');
      assert.deepEqual(final.postmortem, { ...postmortem, resolvedBy: 'bob' });
      const types = final.timeline.map((e: TimelineEvent) => e.type);
      assert.equal(types.indexOf('acknowledged') === -1, ack.status === 'rejected');
      assert.equal(types.at(-1), 'resolved');
      const { rows } = await env.pool.query('SELECT status, postmortem FROM incidents WHERE id = $1', [incident.id]);
      assert.equal(rows[0]?.status, 'resolved');
      assert.equal(rows[0]?.postmortem.rootCause, postmortem.rootCause);
    }
  });

  it('pauses escalation during a maintenance window and resumes it afterwards', async () => {
    const endsAt = new Date(Date.now() + 4000);
    await env.pool.query(
      `INSERT INTO maintenance_windows (id, starts_at, ends_at, reason, sources, created_by)
       VALUES ($1, now() - interval '1 second', $2, 'database upgrade', ARRAY['maintenance-test'], 'test')`,
      [`mw-${run}`, endsAt],
    );
    const incident = await open(`Maintenance ${run}`, { source: 'maintenance-test' });
    const paused = await eventually(async () => {
      const s = await state(incident.workflowId);
      return s.pausedBy ? s : undefined;
    });
    assert.match(paused.pausedBy!, new RegExp(`maintenance window mw-${run}`));
    assert.equal(notified(paused).length, 0);
    const resumed = await eventually(
      async () => {
        const s = await state(incident.workflowId);
        return notified(s, 2).length > 0 ? s : undefined;
      },
      20_000,
      'escalation to resume and reach level 2',
    );
    const first = notified(resumed, 1)[0]!;
    assert.ok(Date.parse(first.at) >= endsAt.getTime(), 'level 1 waited for the window to end');
    const types = resumed.timeline.map((e) => e.type);
    assert.ok(types.indexOf('paused') < types.indexOf('resumed'));
    assert.ok(types.indexOf('resumed') < types.indexOf('notified'));
    await env.client.workflow
      .getHandle(incident.workflowId)
      .executeUpdate(resolveUpdate, { args: [{ by: 'dave', ...postmortem }] });
  });

  it('holds a deadline that falls in a maintenance window: no notice, the level stays, the same level again after', async () => {
    const source = `deadline-window-${run}`;
    const incident = await open(`Window at the deadline ${run}`, { source, ackTimeoutSeconds: 3 });
    const waiting = await eventually(async () => {
      const s = await state(incident.workflowId);
      return notified(s, 1).length > 0 && s.nextDeadline ? s : undefined;
    });
    // A window opened after the first notice, ending 3 s after the deadline: the notice activity finds it.
    const endsAt = new Date(Date.parse(waiting.nextDeadline!) + 3000);
    await env.pool.query(
      `INSERT INTO maintenance_windows (id, starts_at, ends_at, reason, sources, created_by)
       VALUES ($1, now() - interval '1 second', $2, 'failover drill', ARRAY[$3], 'test')`,
      [`mw-deadline-${run}`, endsAt, source],
    );
    const held = await eventually(async () => {
      const s = await state(incident.workflowId);
      return s.pausedBy ? s : undefined;
    });
    assert.equal(held.pausedBy, `maintenance window mw-deadline-${run}`);
    assert.equal(held.level, 1, 'a held deadline does not escalate');
    assert.equal(notified(held, 2).length, 0);
    assert.equal(held.rounds[2], 0);

    const again = await eventually(
      async () => {
        const s = await state(incident.workflowId);
        return notified(s, 1).length > notified(waiting, 1).length ? s : undefined;
      },
      20_000,
      'level 1 notified again once the window ended',
    );
    const repeat = notified(again, 1).at(-1)!;
    assert.ok(Date.parse(repeat.at) >= endsAt.getTime(), 'the held notice waited for the window to end');
    const types = again.timeline.map((e) => e.type);
    const pausedAt = types.indexOf('paused');
    assert.ok(pausedAt > 0 && pausedAt < types.indexOf('resumed'));
    assert.ok(!types.slice(pausedAt).includes('escalated'), 'the level moved during the hold');
    const mail = await byTitle(ops, `Window at the deadline ${run}`);
    assert.equal(mail.filter((m) => m.subject.includes('repeat 1')).length, 1, 'the repeat went out once');
    assert.equal((await byTitle(eng, `Window at the deadline ${run}`)).length, 0, 'nothing reached level 2 meanwhile');
    await env.client.workflow
      .getHandle(incident.workflowId)
      .executeUpdate(resolveUpdate, { args: [{ by: 'dave', ...postmortem }] });
  });

  it('still escalates after the worker is killed mid-wait, and sends nothing twice', async () => {
    const title = `Worker restart ${run}`;
    const incident = await open(title, { ackTimeoutSeconds: 3 });
    const waiting = await eventually(async () => {
      const s = await state(incident.workflowId);
      return notified(s, 1).length > 0 && s.nextDeadline ? s : undefined;
    });
    await env.workers.stop();
    // the level-2 deadline passes while no worker runs
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(waiting.nextDeadline!) + 500 - Date.now())));
    await env.workers.start();
    const escalated = await eventually(
      async () => {
        const s = await env.client.workflow.getHandle(incident.workflowId).query(incidentStatusQuery);
        return notified(s, 2).length > 0 ? s : undefined;
      },
      // The fired timer's task may first wait out the stopped worker's sticky queue (10 s) before it moves on.
      60_000,
      'level 2 after the restart',
    );
    assert.equal(escalated.level, 2);
    await env.client.workflow
      .getHandle(incident.workflowId)
      .executeUpdate(resolveUpdate, { args: [{ by: 'carol', ...postmortem }] });
    assert.equal((await byTitle(ops, title)).length, 1);
    assert.equal((await byTitle(eng, title)).length, 1);
    assert.equal(smsTo(engPhone).filter((m) => m.body.includes(title)).length, 1);
    const { rows } = await env.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM notifications WHERE idempotency_key LIKE $1 AND status = 'sent'`,
      [`incident/${incident.id}/%`],
    );
    assert.equal(rows[0]?.n, 4); // level 1: mail + chat; level 2: mail + SMS
  });
});
