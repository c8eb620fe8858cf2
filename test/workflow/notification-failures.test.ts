import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ALERT_METRICS } from '../../src/activities/incidents/alerts.js';
import { createHealthActivities } from '../../src/activities/integrations/health.js';
import { createNotifyActivities } from '../../src/activities/incidents/notify.js';
import { freePort } from '../../src/dev/ports.js';
import { startRun } from '../../src/temporal/start.js';
import type { RunStatus } from '../../src/workflows/run-status.js';
import { eventually, startTestEnv, type TestEnv } from '../harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../incident-doubles.js';

describe('notification failure alert', () => {
  let env: TestEnv;
  let chat: WebhookReceiver;
  const opsEmail = `ops-${randomUUID().slice(0, 8)}@example.test`;

  before(async () => {
    const closedSmtpPort = await freePort();
    chat = await startWebhookReceiver();
    // The mail server is gone: every email fails; the chat webhook still works.
    env = await startTestEnv({
      highlevelSimulator: true,
      zohoSimulator: true,
      env: {
        SMTP_URL: `smtp://127.0.0.1:${closedSmtpPort}`,
        OPSFLOW_ESCALATION_L1_EMAILS: opsEmail,
        OPSFLOW_ESCALATION_L1_WEBHOOKS: `slack=${chat.url}/chat`,
      },
    });
  });
  after(async () => {
    await env.stop();
    await chat.stop();
  });

  const metric = () => ALERT_METRICS.notification_failures!(env.pool, 60, new Date());

  /** Replaces the outbox with rows of the given status, created the given minutes ago. */
  async function outbox(...rows: Array<{ status: 'pending' | 'sent' | 'failed'; minutesAgo: number }>) {
    await env.pool.query('DELETE FROM notifications');
    for (const [i, row] of rows.entries()) {
      await env.pool.query(
        `INSERT INTO notifications (idempotency_key, channel, target, subject, status, created_at)
         VALUES ($1, 'email', 'ops@example.test', 'test', $2, now() - make_interval(mins => $3))`,
        [`test/${randomUUID()}/${i}`, row.status, row.minutesAgo],
      );
    }
  }

  it('counts a failed notification and one still pending after more than 10 minutes', async () => {
    await outbox({ status: 'failed', minutesAgo: 1 });
    assert.equal(await metric(), 1);
    await outbox({ status: 'pending', minutesAgo: 12 });
    assert.equal(await metric(), 1);
    await outbox(
      { status: 'failed', minutesAgo: 5 },
      { status: 'pending', minutesAgo: 30 },
      { status: 'sent', minutesAgo: 5 },
    );
    assert.equal(await metric(), 2);
  });

  it('stays quiet for sent notifications, a send pending for 2 minutes, and failures older than the window', async () => {
    await outbox(
      { status: 'sent', minutesAgo: 1 },
      { status: 'sent', minutesAgo: 20 },
      { status: 'pending', minutesAgo: 2 },
      { status: 'failed', minutesAgo: 90 },
    );
    assert.equal(await metric(), 0);
  });

  it('is a default rule: notification-failures fires above 0 in the last hour, as P2, resolving itself', async () => {
    const { rows } = await env.pool.query(
      `SELECT name, metric, comparison, threshold::int AS threshold, window_minutes, severity, auto_resolve, enabled
         FROM alert_rules WHERE id = 'notification-failures'`,
    );
    assert.deepEqual(rows, [
      {
        name: 'Notifications failing or stuck',
        metric: 'notification_failures',
        comparison: '>',
        threshold: 0,
        window_minutes: 60,
        severity: 'P2',
        auto_resolve: true,
        enabled: true,
      },
    ]);
  });

  it('pages through the chat webhook when the SMTP server is down, while the email copy fails', async () => {
    await env.pool.query('DELETE FROM notifications');
    // Only this file's copy of the rule: incidents are keyed by rule id, and other files share the namespace.
    const ruleId = `test-notification-failures-${randomUUID().slice(0, 8)}`;
    await env.pool.query('UPDATE alert_rules SET enabled = false');
    await env.pool.query(
      `INSERT INTO alert_rules (id, name, metric, comparison, threshold, window_minutes, severity, auto_resolve)
       SELECT $1, name, metric, comparison, threshold, window_minutes, severity, auto_resolve
         FROM alert_rules WHERE id = 'notification-failures'`,
      [ruleId],
    );

    const smtp = await createHealthActivities(env).checkSmtpHealth();
    assert.equal(smtp.status, 'down');

    // A report mailed to operations fails, as every email does now.
    const report = `test/${ruleId}/report`;
    await assert.rejects(
      createNotifyActivities(env).sendNotification({
        idempotencyKey: report,
        subject: 'Daily report',
        text: 'All green.',
        recipients: [{ channel: 'email', target: opsEmail }],
      }),
      /mail server unreachable/,
    );

    const { handle } = await startRun(env.client, {
      workflow: 'monitorIntegrations',
      workflowId: `monitor-notification-failures-test-${randomUUID()}`,
      taskQueue: env.config.taskQueues.main,
      kind: 'monitor',
      summary: 'Monitor (notification failure test)',
      args: [],
    });
    const run = (await handle.result()) as RunStatus;
    assert.match(run.steps.find((s) => s.name === 'alert rules')!.summary, new RegExp(`firing: ${ruleId} \\(1\\)`));

    const incident = await eventually(
      async () => {
        const { rows } = await env.pool.query<{ id: string; status: string; severity: string }>(
          'SELECT id, status, severity FROM incidents WHERE dedup_key = $1',
          [ruleId],
        );
        return rows[0];
      },
      20_000,
      'the incident',
    );
    assert.deepEqual([incident.status, incident.severity], ['open', 'P2']);

    const page = await eventually(
      async () => chat.received.find((r) => String(r.body.text).includes('Notifications failing or stuck')),
      30_000,
      'the page on the chat webhook',
    );
    assert.equal(page.path, '/chat');

    const copies = await eventually(
      async () => {
        const { rows } = await env.pool.query<{ channel: string; status: string; last_error: string | null }>(
          `SELECT channel, status, last_error FROM notifications
          WHERE idempotency_key LIKE $1 AND status <> 'pending' ORDER BY channel`,
          [`incident/${incident.id}%`],
        );
        return rows.length === 2 ? rows : undefined;
      },
      30_000,
      'both copies of the page attempted',
    );
    assert.deepEqual(
      copies.map((c) => [c.channel, c.status]),
      [
        ['email', 'failed'],
        ['webhook', 'sent'],
      ],
    );
    assert.match(copies[0]!.last_error ?? '', /mail server unreachable/);
  });
});
