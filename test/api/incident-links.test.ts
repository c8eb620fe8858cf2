/**
 * The links in an incident's notice, followed as a person's browser would: the Web UI page of its workflow and the
 * signed acknowledge link (a confirmation page on GET, acknowledgement once on the form's POST).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ACK_LINK_TTL_SECONDS, createLinks } from '../../src/notifications/links.js';
import { SMS_MAX_LENGTH } from '../../src/notifications/render.js';
import type { SmsSimulator } from '../../src/simulators/sms/index.js';
import { eventually, startTestEnv, type TestEnv } from '../harness.js';
import { mailTo, startSms, type CapturedMail } from '../incident-doubles.js';

interface Incident {
  id: string;
  workflowId: string;
  status: string;
  level: number;
  timeline: Array<{ type: string; by?: string; message?: string; level?: number }>;
}

const run = randomUUID().slice(0, 8);
const oncall = `links-${run}@example.com`;
const engineer = '+15550107777';

describe('links in incident notices', () => {
  let env: TestEnv;
  let sms: SmsSimulator;
  before(async () => {
    sms = await startSms();
    env = await startTestEnv({
      api: true,
      env: { OPSFLOW_ESCALATION_L1_EMAILS: oncall, OPSFLOW_ESCALATION_L2_SMS: engineer, SMS_API_URL: sms.url },
    });
  });
  after(async () => {
    await env.stop();
    await sms.stop();
  });

  const api = () => env.api!;
  /** A browser: no bearer token, the public URL in a link mapped to where this test's API listens. */
  const browse = (url: string, method = 'GET') =>
    fetch(url.replace(env.config.api.publicUrl, api().url), { method, redirect: 'manual' });
  const incident = async (id: string) => (await api().request<Incident>('GET', `/incidents/${id}`)).body;
  const acknowledgements = async (id: string) => (await incident(id)).timeline.filter((e) => e.type === 'acknowledged');

  async function openWithNotice(title: string): Promise<{ opened: Incident; mail: CapturedMail }> {
    const opened = (
      await api().request<Incident>('POST', '/incidents', {
        body: { title, severity: 'P2', ackTimeoutSeconds: 3600 },
      })
    ).body;
    const mail = await eventually(async () => (await mailTo(oncall)).find((m) => m.subject.includes(title)));
    return { opened, mail };
  }
  /** Escalates the incident to level 2 by hand (an operator's "escalate now"): its notice texts the engineer. */
  const escalate = (id: string) =>
    api().request<Incident>('POST', `/incidents/${id}/escalate`, { body: { by: 'test', message: 'by hand' } });
  const ackLinkOf = (mail: CapturedMail) => {
    const link = /(http\S+\/links\/acknowledge\?token=[\w.-]+)/.exec(mail.text)?.[1];
    assert.ok(link, `the email has an acknowledge link:\n${mail.text}`);
    return link;
  };

  let first: { opened: Incident; mail: CapturedMail };
  before(async () => {
    first = await openWithNotice(`Payments webhook down ${run}`);
  });

  it("links the level-1 email to the incident's workflow page in the Web UI and to an acknowledge link", () => {
    const ui = `${env.config.temporal.uiUrl}/namespaces/${env.config.temporal.namespace}/workflows/${encodeURIComponent(first.opened.workflowId)}`;
    assert.ok(first.mail.text.includes(ui), `the text links to ${ui}:\n${first.mail.text}`);
    assert.ok(first.mail.html.includes(`href="${ui}"`), 'the HTML links to the Web UI page');
    const ack = ackLinkOf(first.mail);
    assert.ok(first.mail.html.includes(`href="${ack}"`), 'the HTML has the acknowledge button');
    assert.ok(!first.mail.text.includes(`${env.config.api.publicUrl}/incidents/`), 'no link to the token-only API');
  });

  it('answers a confirmation page on GET and acknowledges nothing (mail scanners prefetch links)', async () => {
    const ack = ackLinkOf(first.mail);
    for (let i = 0; i < 2; i++) {
      const page = await browse(ack);
      assert.equal(page.status, 200);
      const body = await page.text();
      assert.match(body, /<form method="post" action="\?token=[\w.-]+"><button type="submit">Acknowledge as /);
      assert.ok(body.includes(oncall));
    }
    const now = await incident(first.opened.id);
    assert.equal(now.status, 'open');
    assert.deepEqual(await acknowledgements(first.opened.id), []);
  });

  it("acknowledges once when the page's form is submitted, as the notice's recipient; a second submission is refused", async () => {
    const ack = ackLinkOf(first.mail);
    const submitted = await browse(ack, 'POST');
    assert.equal(submitted.status, 200);
    assert.match(await submitted.text(), /acknowledged as/);
    const acked = await incident(first.opened.id);
    assert.equal(acked.status, 'acknowledged');
    const entries = await acknowledgements(first.opened.id);
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.by, oncall);
    assert.match(entries[0]!.message ?? '', /level 1 notice/);

    const again = await browse(ack, 'POST');
    assert.equal(again.status, 410);
    assert.match(again.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await again.text(), /already been used/);
    assert.equal((await acknowledgements(first.opened.id)).length, 1);
    const { rows } = await env.pool.query(`SELECT used_by FROM used_links WHERE subject_id = $1`, [first.opened.id]);
    assert.deepEqual(rows, [{ used_by: oncall }]);
  });

  it('refuses a tampered or an expired link with an error page and leaves the incident open', async () => {
    const { opened, mail } = await openWithNotice(`ZOHO sync stalled ${run}`);
    const ack = ackLinkOf(mail);
    const [body, signature] = ack.split('=').pop()!.split('.');
    const prefix = ack.slice(0, ack.lastIndexOf('=') + 1);
    // Another level in the claims with the original signature, and the original claims with a changed signature.
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString()) as Record<string, unknown>;
    const otherLevel = Buffer.from(JSON.stringify({ ...claims, level: 3 })).toString('base64url');
    const flipped = `${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const forged of [`${prefix}${otherLevel}.${signature}`, `${prefix}${body}.${flipped}`]) {
      for (const method of ['GET', 'POST']) {
        const answer = await browse(forged, method);
        assert.equal(answer.status, 403, `${method} ${forged}`);
        assert.match(await answer.text(), /not valid/);
      }
    }
    const issuedLongAgo = Date.now() - (ACK_LINK_TTL_SECONDS + 60) * 1000;
    const expired = createLinks(env.config).acknowledge(
      { incidentId: opened.id, level: 1, recipient: oncall },
      issuedLongAgo,
    );
    const late = await browse(expired, 'POST');
    assert.equal(late.status, 410);
    assert.match(await late.text(), /expired/);

    assert.equal((await incident(opened.id)).status, 'open');
    assert.deepEqual(await acknowledgements(opened.id), []);
    const { rows } = await env.pool.query(`SELECT 1 FROM used_links WHERE subject_id = $1`, [opened.id]);
    assert.equal(rows.length, 0);
    // Written without delaying the refusal, so read once they land.
    await eventually(async () => {
      const { rows: events } = await env.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM security_events WHERE type = 'link.invalid'`,
      );
      return events[0]!.n >= 4 || undefined;
    });
  });

  it('texts level 2 an acknowledge link short enough for an SMS, which acknowledges as the texted number', async () => {
    const title = `Token refresh failing ${run}`;
    const { opened } = await openWithNotice(title);
    assert.equal((await escalate(opened.id)).body.level, 2);
    const text = await eventually(async () =>
      sms.messages().find((m) => m.to === engineer && m.body.includes(title)),
    ).catch((err: Error) =>
      assert.fail(`${err.message}: an SMS to ${engineer} among ${JSON.stringify(sms.messages())}`),
    );
    assert.ok(text.body.length <= SMS_MAX_LENGTH, `${text.body.length} characters: ${text.body}`);
    assert.ok(text.body.startsWith(`[P2] ${title} `), `the subject is whole: ${text.body}`);
    const link = /Acknowledge: (http\S+\/links\/acknowledge\?token=a1\.[\w.~-]+)/.exec(text.body)?.[1];
    assert.ok(link, `the SMS has a compact acknowledge link: ${text.body}`);
    assert.ok(link.length < 160, `the link is short: ${link}`);

    const page = await browse(link);
    assert.equal(page.status, 200);
    const body = await page.text();
    assert.ok(body.includes(`Acknowledge as ${engineer}`) && body.includes('sent for level 2'), body);
    assert.equal((await incident(opened.id)).status, 'open', 'opening the link changes nothing');

    assert.equal((await browse(link, 'POST')).status, 200);
    const entries = await acknowledgements(opened.id);
    assert.deepEqual(
      entries.map((e) => [e.by, e.level, e.message]),
      [[engineer, 2, 'Acknowledged through the link in the level 2 notice']],
    );
    assert.equal((await browse(link, 'POST')).status, 410, 'single use, like the email link');
    // A compact link altered in its claims (the level it was sent for) is refused like any other.
    const [prefix, token] = link.split('token=');
    const fields = token!.split('.');
    fields[2] = '3';
    const forged = `${prefix}token=${fields.join('.')}`;
    assert.equal((await browse(forged, 'POST')).status, 403);
  });

  it("acknowledges through an earlier level's link after the incident escalated, recording both levels", async () => {
    const { opened, mail } = await openWithNotice(`Contacts pull stalled ${run}`);
    const levelOneLink = ackLinkOf(mail);
    assert.equal((await escalate(opened.id)).body.level, 2);
    const page = await (await browse(levelOneLink)).text();
    assert.match(page, /sent for level 1/);
    assert.match(page, /escalated since this notice; its link still acknowledges it at level 2/);

    const submitted = await browse(levelOneLink, 'POST');
    assert.equal(submitted.status, 200);
    const acked = await incident(opened.id);
    assert.deepEqual([acked.status, acked.level], ['acknowledged', 2]);
    const entries = await acknowledgements(opened.id);
    // The entry's level is the one it acknowledged at; its message names the level the link was sent for.
    assert.deepEqual(
      entries.map((e) => [e.by, e.level, e.message]),
      [[oncall, 2, 'Acknowledged through the link in the level 1 notice']],
    );
  });
});
