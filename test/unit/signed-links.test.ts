import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LinkError,
  signCompactAck,
  signLink,
  verifyLink,
  withLinkToken,
  type LinkClaims,
} from '../../src/notifications/links.js';
import { webhookPayload } from '../../src/notifications/render.js';
import { WEBHOOK_FORMATS } from '../../src/notifications/types.js';

const secret = Buffer.from('a-link-secret-of-at-least-32-characters');
const claims: LinkClaims = {
  purpose: 'acknowledge',
  incidentId: 'inc-1',
  level: 2,
  recipient: 'oncall@example.com',
  nonce: 'n1',
  expires: 2_000_000_000,
};

describe('signed links', () => {
  it('verifies what it signed, for its purpose, until it expires', () => {
    const token = signLink(secret, claims);
    assert.deepEqual(verifyLink(secret, token, 'acknowledge', 1_999_999_999_000), claims);
    assert.throws(
      () => verifyLink(secret, token, 'report', 0),
      (e) => e instanceof LinkError && e.status === 403,
    );
    assert.throws(
      () => verifyLink(secret, token, 'acknowledge', 2_000_000_000_000),
      (e) => e instanceof LinkError && e.status === 410,
    );
  });

  it('signs the compact form for SMS: unreserved URL characters, half the length, the same claims back', () => {
    const sms = { ...claims, incidentId: 'incident-db.primary~1', recipient: '+15550107777' } as const;
    const token = signCompactAck(secret, sms);
    assert.match(token, /^a1\.[\w.~-]+$/, 'nothing a URL decoder would change');
    assert.equal(new URLSearchParams(`token=${token}`).get('token'), token);
    assert.ok(token.length * 2 <= signLink(secret, sms).length + 10, `${token} is about half as long`);
    assert.deepEqual(verifyLink(secret, token, 'acknowledge', 1_999_999_999_000), sms);
    assert.throws(
      () => verifyLink(secret, token, 'acknowledge', 2_000_000_000_000),
      (e) => e instanceof LinkError && e.status === 410,
    );
    const fields = token.split('.');
    for (const [i, value] of [
      [2, '3'],
      [3, '~2B15550100000'],
      [5, (3_000_000_000).toString(36)],
    ] as const) {
      const altered = fields.map((f, j) => (j === i ? value : f)).join('.');
      assert.throws(
        () => verifyLink(secret, altered, 'acknowledge', 0),
        (e) => e instanceof LinkError && e.status === 403,
        `field ${i} altered`,
      );
    }
    assert.throws(() => verifyLink(secret, 'a1.x', 'acknowledge', 0), LinkError);
  });

  it('refuses other keys, altered claims and garbage', () => {
    const token = signLink(secret, claims);
    const [, signature] = token.split('.');
    const raised = Buffer.from(JSON.stringify({ ...claims, expires: 3_000_000_000 })).toString('base64url');
    for (const bad of [
      signLink(Buffer.from('another-secret-of-at-least-32-characters'), claims),
      `${raised}.${signature}`,
      'garbage',
      '.',
      `${token}x`,
    ]) {
      assert.throws(
        () => verifyLink(secret, bad, 'acknowledge', 0),
        (e) => e instanceof LinkError && e.status === 403,
      );
    }
  });

  it('adds the token to every link to a page, its exports and anchors, and to nothing else', () => {
    const base = 'https://ops.example.com/reports/r-1';
    const html = `<a href="${base}">p</a><a href="${base}?format=csv&amp;table=t">c</a><a href="${base}#s">s</a><a href="${base}0">x</a><a href="${base}/retry-failed/invoices">r</a>`;
    assert.equal(
      withLinkToken(html, base, 'T.K', true),
      `<a href="${base}?link=T.K">p</a><a href="${base}?link=T.K&amp;format=csv&amp;table=t">c</a><a href="${base}?link=T.K#s">s</a><a href="${base}0">x</a><a href="${base}/retry-failed/invoices">r</a>`,
    );
    assert.equal(withLinkToken(`Full report: ${base}\n`, base, 'T', false), `Full report: ${base}?link=T\n`);
  });

  it("puts a notice's actions into every chat format", () => {
    const href = 'https://ops.example.com/links/acknowledge?token=T';
    for (const format of WEBHOOK_FORMATS) {
      const body = JSON.stringify(
        webhookPayload(format, {
          idempotencyKey: 'k',
          subject: 'P1 down',
          text: 'down',
          link: 'https://ui.example.com/namespaces/default/workflows/incident-1',
          incident: { id: 'inc-1', workflowId: 'incident-1', level: 1 },
          actions: [{ text: 'Acknowledge', href }],
        }),
      );
      assert.ok(body.includes(href), `${format} carries the acknowledge link`);
      assert.ok(body.includes('ui.example.com'), `${format} carries the Web UI link`);
    }
  });
});
