import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CHANNEL_PROBE_TIMEOUT_MS, createHealthActivities } from '../../src/activities/integrations/health.js';
import type { Config } from '../../src/config.js';
import { freePort } from '../../src/dev/ports.js';
import type { SmsSimulator } from '../../src/simulators/sms/index.js';
import { startTestEnv, testStack, type TestEnv } from '../harness.js';
import { startSms } from '../incident-doubles.js';

describe('notification channel health', () => {
  let env: TestEnv;
  let sms: SmsSimulator;
  let closedPort: number;

  before(async () => {
    [sms, closedPort] = await Promise.all([startSms(), freePort()]);
    env = await startTestEnv({
      workers: false,
      env: { SMS_API_URL: sms.url, OPSFLOW_ESCALATION_L2_SMS: '+15550109999' },
    });
  });
  after(async () => {
    await Promise.all([env.stop(), sms.stop()]);
  });

  /** The health activities over this environment's configuration with `change` applied. */
  const probesWith = (change: (config: Config) => Config = (c) => c) =>
    createHealthActivities({ pool: env.pool, client: env.client, config: change(env.config) });
  const withSmtp = (smtpUrl: string) => (c: Config) => ({ ...c, mail: { ...c.mail, smtpUrl } });
  const withSms = (sms: Partial<Config['notifications']['sms']>) => (c: Config) => ({
    ...c,
    notifications: { ...c.notifications, sms: { ...c.notifications.sms, ...sms } },
  });

  const withoutSmsNumbers = (c: Config): Config => {
    const { escalation } = c.notifications;
    const none = (level: 1 | 2 | 3) => ({ ...escalation[level], sms: [] });
    return { ...c, notifications: { ...c.notifications, escalation: { 1: none(1), 2: none(2), 3: none(3) } } };
  };

  it('reports the SMTP server healthy when it greets, naming it without credentials', async () => {
    const check = await probesWith().checkSmtpHealth();
    assert.equal(check.integration, 'smtp');
    assert.equal(check.status, 'healthy', JSON.stringify(check.details));
    assert.equal(check.details.server, new URL(testStack().smtpUrl).host);
  });

  it('reports the SMTP server down, with the reason, when nothing listens', async () => {
    const check = await probesWith(withSmtp(`smtp://opsflow:s3cret-pass@127.0.0.1:${closedPort}`)).checkSmtpHealth();
    assert.equal(check.status, 'down');
    assert.match(String(check.details.error), /ECONNREFUSED/);
    assert.doesNotMatch(JSON.stringify(check.details), /s3cret-pass/);
  });

  it('gives up on an SMTP server that accepts the connection but never greets, within the probe timeout', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const check = await probesWith(withSmtp(`smtp://127.0.0.1:${port}`)).checkSmtpHealth();
      assert.equal(check.status, 'down');
      assert.match(String(check.details.error), /greeting|timeout/i); // whichever of nodemailer's timers fires first
      assert.ok(check.latencyMs < CHANNEL_PROBE_TIMEOUT_MS + 2_000, `took ${check.latencyMs} ms`);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('reports the SMS API healthy when it accepts the account, sending nothing', async () => {
    const check = await probesWith().checkSmsHealth();
    assert.equal(check.integration, 'sms');
    assert.equal(check.status, 'healthy', JSON.stringify(check.details));
    assert.equal(check.details.configured, true);
    assert.equal(check.details.api, new URL(sms.url).host);
    assert.equal(sms.messages().length, 0);
  });

  it('reports the SMS API down when it refuses the credentials or does not answer', async () => {
    const refused = await probesWith(withSms({ authToken: 'wrong-token' })).checkSmsHealth();
    assert.equal(refused.status, 'down');
    assert.match(String(refused.details.error), /answered 401/);
    assert.doesNotMatch(JSON.stringify(refused.details), /wrong-token/);

    const closed = await probesWith(withSms({ apiUrl: `http://127.0.0.1:${closedPort}` })).checkSmsHealth();
    assert.equal(closed.status, 'down');
    assert.match(String(closed.details.error), /SMS provider unreachable/);
  });

  it('answers healthy and unconfigured, without a request, when no account is set and no level pages by SMS', async () => {
    const noProvider = withSms({ simulated: true, apiUrl: `http://127.0.0.1:${closedPort}` });
    const check = await probesWith((c) => withoutSmsNumbers(noProvider(c))).checkSmsHealth();
    assert.deepEqual(
      { status: check.status, details: check.details },
      { status: 'healthy', details: { configured: false } },
    );
  });
});
