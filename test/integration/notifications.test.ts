import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createNotifyActivities } from '../../src/activities/incidents/notify.js';
import { loadConfig } from '../../src/config.js';
import { createNotifier, type Notifier } from '../../src/notifications/index.js';
import type { SmsSimulator } from '../../src/simulators/sms/index.js';
import { startTestEnv, type TestEnv } from '../harness.js';
import { mailTo, startSms, startWebhookReceiver, type WebhookReceiver } from '../incident-doubles.js';

describe('notifications', () => {
  let env: TestEnv;
  let hooks: WebhookReceiver;
  let sms: SmsSimulator;
  let notifier: Notifier;
  const run = randomUUID().slice(0, 8);
  const ops = `ops-${run}@example.com`;

  before(async () => {
    [hooks, sms] = await Promise.all([startWebhookReceiver(), startSms()]);
    env = await startTestEnv({
      workers: false,
      env: {
        SMS_API_URL: sms.url,
        OPSFLOW_ESCALATION_L1_EMAILS: ops,
        OPSFLOW_ESCALATION_L1_WEBHOOKS: `slack=${hooks.url}/slack`,
        OPSFLOW_ESCALATION_L2_SMS: '+15550109999',
      },
    });
    notifier = createNotifier(env);
  });
  after(async () => {
    notifier.close();
    await Promise.all([env.stop(), hooks.stop(), sms.stop()]);
  });

  it('sends email with HTML and text parts to the SMTP server, once per idempotency key', async () => {
    const to = `mail-${run}@example.com`;
    const message = {
      idempotencyKey: `test/${run}/mail`,
      subject: `Disk almost full ${run}`,
      text: 'The database volume is at 91 %.',
      link: 'https://opsflow.example.com/incidents/x',
      recipients: [{ channel: 'email' as const, target: to }],
    };
    const first = await notifier.send(message);
    const second = await notifier.send(message);
    assert.deepEqual([first[0]?.status, second[0]?.status], ['sent', 'already-sent']);
    const mails = await mailTo(to);
    assert.equal(mails.length, 1);
    assert.equal(mails[0]!.subject, message.subject);
    assert.match(mails[0]!.text, /91 %[\s\S]*https:\/\/opsflow\.example\.com\/incidents\/x/);
    assert.match(mails[0]!.html, /<a href="https:\/\/opsflow\.example\.com\/incidents\/x"/);
    const { rows } = await env.pool.query('SELECT status, attempts FROM notifications WHERE idempotency_key = $1', [
      first[0]!.key,
    ]);
    assert.deepEqual(rows, [{ status: 'sent', attempts: 1 }]);
  });

  it('posts Slack, Discord and Teams payloads in each tool format', async () => {
    await notifier.send({
      idempotencyKey: `test/${run}/chat`,
      subject: 'P1 payments failing',
      text: 'ZOHO answers 503.',
      link: 'https://opsflow.example.com/incidents/y',
      severity: 'P1',
      recipients: [
        { channel: 'webhook', target: `${hooks.url}/s`, format: 'slack' },
        { channel: 'webhook', target: `${hooks.url}/d`, format: 'discord' },
        { channel: 'webhook', target: `${hooks.url}/t`, format: 'teams' },
      ],
    });
    const byPath = Object.fromEntries(hooks.received.map((r) => [r.path, r.body]));
    assert.equal(byPath['/s']?.text, 'P1 payments failing');
    assert.ok(Array.isArray(byPath['/s']?.blocks));
    assert.equal((byPath['/d']?.embeds as Array<{ url: string }>)[0]?.url, 'https://opsflow.example.com/incidents/y');
    assert.equal(byPath['/t']?.['@type'], 'MessageCard');
  });

  it('sends SMS through the Twilio-compatible API with basic auth', async () => {
    const deliveries = await notifier.send({
      idempotencyKey: `test/${run}/sms`,
      subject: 'P1 database down',
      text: 'x',
      recipients: [{ channel: 'sms', target: '+15550101234' }],
    });
    assert.equal(deliveries[0]?.status, 'sent');
    const texts = sms.messages().filter((m) => m.to === '+15550101234');
    assert.equal(texts.length, 1);
    assert.match(texts[0]!.body, /P1 database down/);
  });

  it('sends to an escalation level: its configured targets on its channels only', async () => {
    const deliveries = await notifier.send({
      idempotencyKey: `test/${run}/level1`,
      subject: 'Level one',
      text: 'x',
      level: 1,
    });
    assert.deepEqual(deliveries.map((d) => d.channel).sort(), ['email', 'webhook']);
    assert.ok(
      deliveries.every((d) => !d.target.includes('http')),
      'webhook URLs are not shown as targets',
    );
    assert.equal((await mailTo(ops)).length, 1);
    const level2 = await notifier.send({
      idempotencyKey: `test/${run}/level2`,
      subject: 'Level two',
      text: 'x',
      level: 2,
    });
    assert.deepEqual(
      level2.map((d) => d.channel),
      ['sms'],
    );
  });

  it('never sends a copy twice when two attempts race on the same key', async () => {
    const to = `race-${run}@example.com`;
    const message = {
      idempotencyKey: `test/${run}/race`,
      subject: 'Race',
      text: 'x',
      recipients: [{ channel: 'email' as const, target: to }],
    };
    const results = await Promise.allSettled([notifier.send(message), notifier.send(message), notifier.send(message)]);
    const sent = results.filter((r) => r.status === 'fulfilled' && r.value[0]?.status === 'sent');
    assert.equal(sent.length, 1);
    // the losers either saw the row sent or failed retryably while it was locked; a retry now finds it sent
    assert.equal((await notifier.send(message))[0]?.status, 'already-sent');
    assert.equal((await mailTo(to)).length, 1);
  });

  it('retries only the copies that failed, and fails the activity retryably meanwhile', async () => {
    const activities = createNotifyActivities(env);
    const to = `partial-${run}@example.com`;
    const message = {
      idempotencyKey: `test/${run}/partial`,
      subject: 'Partial',
      text: 'x',
      recipients: [
        { channel: 'email' as const, target: to },
        { channel: 'webhook' as const, target: `${hooks.url}/flaky`, format: 'slack' as const },
      ],
    };
    hooks.failNext(1, 503);
    await assert.rejects(
      activities.sendNotification(message),
      (err: Error & { nonRetryable?: boolean; type?: string }) => {
        assert.equal(err.nonRetryable, false);
        return true;
      },
    );
    const retried = await activities.sendNotification(message);
    assert.deepEqual(
      retried.map((d) => d.status),
      ['already-sent', 'sent'],
    );
    assert.equal((await mailTo(to)).length, 1);
    assert.equal(hooks.received.filter((r) => r.path === '/flaky').length, 1);
  });

  it('reports a refused webhook (4xx) as failed for good without throwing', async () => {
    hooks.failNext(1, 404);
    const deliveries = await createNotifyActivities(env).sendNotification({
      idempotencyKey: `test/${run}/gone`,
      subject: 'Gone',
      text: 'x',
      recipients: [{ channel: 'webhook', target: `${hooks.url}/gone`, format: 'teams' }],
    });
    assert.equal(deliveries[0]?.status, 'failed');
    assert.match(deliveries[0]?.error ?? '', /404/);
  });

  it('reads escalation targets and webhook formats from the environment', () => {
    const config = loadConfig({
      OPSFLOW_ESCALATION_L2_WEBHOOKS: 'https://discord.com/api/webhooks/1/x,teams=https://example.com/hook',
    });
    assert.deepEqual(
      config.notifications.escalation[2].webhooks.map((w) => w.format),
      ['discord', 'teams'],
    );
    assert.throws(() => loadConfig({ OPSFLOW_ESCALATION_L1_SMS: '5551234' }), /OPSFLOW_ESCALATION_L1_SMS/);
    assert.throws(() => loadConfig({ OPSFLOW_INCIDENT_ACK_P1: 'soon' }), /OPSFLOW_INCIDENT_ACK_P1/);
  });
});
