import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventually, startTestEnv, type TestEnv } from '../harness.js';

interface ErrorBody {
  error: { code: string; message: string; details?: { fields?: Array<{ field: string }> } };
}
interface Opened {
  id: string;
  workflowId: string;
  status: string;
  level: number;
  triggerCount: number;
  deduplicated: boolean;
}
interface Incident extends Opened {
  title: string;
  timeline: Array<{ type: string; by?: string; message?: string }>;
  postmortem?: Record<string, string>;
  lastSeenAt: string;
  assignee?: string;
  snoozedUntil?: string;
}

const run = randomUUID().slice(0, 8);
const postmortem = {
  rootCause: 'Expired ZOHO refresh token',
  resolution: 'Re-authorised the organisation',
  prevention: 'Alert 7 days before expiry',
  customerImpact: 'Invoices delayed by 40 minutes',
};

describe('incidents API', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({
      api: true,
      env: {
        OPSFLOW_ESCALATION_L1_EMAILS: `api-${run}@example.com`,
        OPSFLOW_ESCALATION_L2_EMAILS: `api-eng-${run}@example.com`,
        OPSFLOW_ESCALATION_L3_EMAILS: `api-mgmt-${run}@example.com`,
      },
    });
  });
  after(() => env.stop());
  const api = () => env.api!;
  const open = (body: Record<string, unknown>, headers?: Record<string, string>) =>
    api().request<Opened>('POST', '/incidents', { body: { ackTimeoutSeconds: 3600, ...body }, headers });

  it('opens an incident (201) and merges a second trigger with the same dedup key (200, same id, count raised)', async () => {
    const dedupKey = `zoho-5xx-${run}`;
    const first = await open({ title: 'ZOHO answers 503', severity: 'P2', dedupKey });
    assert.equal(first.status, 201);
    assert.deepEqual(
      { status: first.body.status, level: first.body.level, deduplicated: first.body.deduplicated },
      { status: 'open', level: 1, deduplicated: false },
    );
    assert.equal(first.body.workflowId, `${env.config.idPrefix}incident-${dedupKey}`);
    const second = await open({ title: 'ZOHO answers 503 again', severity: 'P2', dedupKey });
    assert.equal(second.status, 200);
    assert.equal(second.body.id, first.body.id);
    assert.equal(second.body.deduplicated, true);
    assert.equal(second.body.triggerCount, 2);
    const read = await api().request<Incident>('GET', `/incidents/${first.body.id}`, { token: api().viewerToken });
    assert.equal(read.status, 200);
    assert.equal(read.body.triggerCount, 2);
    assert.equal(read.body.title, 'ZOHO answers 503');
    assert.ok(read.body.timeline.some((e) => e.type === 'triggered'));
  });

  it('opens an incident whose body is sent without a length (chunked), as a streamed upload is', async () => {
    const json = JSON.stringify({ title: 'Streamed open', severity: 'P3', ackTimeoutSeconds: 3600 });
    const res = await fetch(`${api().url}/incidents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api().operatorToken}`, 'content-type': 'application/json' },
      body: new Blob([json]).stream(),
      duplex: 'half',
    });
    assert.equal(res.status, 201, await res.clone().text());
    const opened = (await res.json()) as Opened;
    const read = await api().request<Incident>('GET', `/incidents/${opened.id}`);
    assert.equal(read.body.title, 'Streamed open');
  });

  it('gives concurrent opens with one dedup key one incident: one 201, the rest 200 deduplicated', async () => {
    for (let round = 0; round < 3; round++) {
      const dedupKey = `storm-${run}-${round}`;
      const answers = await Promise.all(
        Array.from({ length: 4 }, (_, i) => open({ title: `Storm ${i}`, severity: 'P2', dedupKey })),
      );
      assert.deepEqual(
        answers.map((a) => a.status).sort(),
        [200, 200, 200, 201],
        JSON.stringify(answers.map((a) => a.body)),
      );
      assert.equal(new Set(answers.map((a) => a.body.id)).size, 1, 'one incident');
      assert.deepEqual(
        answers.map((a) => a.body.deduplicated),
        answers.map((a) => a.status === 200),
      );
      assert.deepEqual(answers.map((a) => a.body.triggerCount).sort(), [1, 2, 3, 4], 'each trigger counted once');
      const read = await api().request<Incident>('GET', `/incidents/${answers[0]!.body.id}`);
      assert.equal(read.status, 200, 'readable as soon as it is opened');
      await eventually(async () => {
        const r = await api().request<Incident>('GET', `/incidents/${answers[0]!.body.id}`);
        return r.body.triggerCount === 4 && r.body.timeline.filter((e) => e.type === 'triggered').length === 3;
      });
    }
  });

  it('answers a repeated open (same Idempotency-Key) as it answered the first, counting it once', async () => {
    const key = `open-repeat-${run}`;
    for (const dedupKey of [undefined, `repeat-${run}`]) {
      const first = await open({ title: 'Repeated open', severity: 'P3', dedupKey }, { 'idempotency-key': key });
      const again = await open({ title: 'Repeated open', severity: 'P3', dedupKey }, { 'idempotency-key': key });
      assert.equal(first.status, 201);
      assert.equal(again.status, 201, JSON.stringify(again.body));
      assert.deepEqual(again.body, first.body);
      const read = await api().request<Incident>('GET', `/incidents/${first.body.id}`);
      assert.equal(read.body.triggerCount, 1);
    }
  });

  it('acknowledges, refuses a second acknowledgement with 409, resolves with the postmortem', async () => {
    const dedupKey = `ack-${run}`;
    const { body: incident } = await open({ title: 'Token refresh failing', severity: 'P2', dedupKey });
    const ack = await api().request<Incident>('POST', `/incidents/${incident.id}/acknowledge`, {
      body: { by: 'alice' },
      headers: { 'idempotency-key': `ack-${run}` },
    });
    assert.equal(ack.status, 200);
    assert.equal(ack.body.status, 'acknowledged');
    const repeated = await api().request<Incident>('POST', `/incidents/${incident.id}/acknowledge`, {
      body: { by: 'alice' },
      headers: { 'idempotency-key': `ack-${run}` },
    });
    assert.equal(repeated.status, 200, 'the same Idempotency-Key answers the first result');
    const again = await api().request<ErrorBody>('POST', `/incidents/${incident.id}/acknowledge`, {
      body: { by: 'bob' },
    });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'invalid_transition');

    const incomplete = await api().request<ErrorBody>('POST', `/incidents/${incident.id}/resolve`, {
      body: { by: 'alice', rootCause: 'x' },
    });
    assert.equal(incomplete.status, 400);
    assert.deepEqual(incomplete.body.error.details?.fields?.map((f) => f.field).sort(), [
      'json.customerImpact',
      'json.prevention',
      'json.resolution',
    ]);
    const resolved = await api().request<Incident>('POST', `/incidents/${incident.id}/resolve`, {
      body: { by: 'alice', ...postmortem },
    });
    assert.equal(resolved.status, 200);
    assert.equal(resolved.body.status, 'resolved');
    assert.deepEqual(resolved.body.postmortem, { ...postmortem, resolvedBy: 'alice' });
    const late = await api().request<ErrorBody>('POST', `/incidents/${incident.id}/notes`, {
      body: { by: 'bob', message: 'late' },
    });
    assert.equal(late.status, 409);

    // the key's incident is resolved: a new trigger opens a new incident; the old one stays readable
    const reopened = await open({ title: 'Token refresh failing', severity: 'P2', dedupKey });
    assert.equal(reopened.status, 201);
    assert.notEqual(reopened.body.id, incident.id);
    const old = await api().request<Incident>('GET', `/incidents/${incident.id}`);
    assert.equal(old.status, 200);
    assert.equal(old.body.status, 'resolved');
    assert.equal(old.body.postmortem?.rootCause, postmortem.rootCause);
  });

  it('escalates now, snoozes, reassigns and records notes in the timeline', async () => {
    const { body: incident } = await open({ title: 'Webhook failures', severity: 'P3' });
    const escalated = await api().request<Incident>('POST', `/incidents/${incident.id}/escalate`, {
      body: { by: 'carol' },
    });
    assert.equal(escalated.status, 200);
    assert.equal(escalated.body.level, 2);
    const note = await api().request<Incident>('POST', `/incidents/${incident.id}/notes`, {
      body: { by: 'carol', message: 'Looking at the receiver logs' },
    });
    assert.equal(note.status, 200);
    const reassigned = await api().request<Incident>('POST', `/incidents/${incident.id}/reassign`, {
      body: { by: 'carol', assignee: 'dave@example.com' },
    });
    assert.equal(reassigned.body.assignee, 'dave@example.com');
    const snoozed = await api().request<Incident>('POST', `/incidents/${incident.id}/snooze`, {
      body: { by: 'dave', seconds: 600 },
    });
    assert.equal(snoozed.status, 200);
    assert.ok(Date.parse(snoozed.body.snoozedUntil!) > Date.now() + 590_000);
    const types = snoozed.body.timeline.map((e) => e.type);
    for (const t of ['escalate-requested', 'escalated', 'note', 'reassigned', 'snoozed'])
      assert.ok(types.includes(t), t);
  });

  it('lists incidents by status and severity through visibility', async () => {
    const { body: p4 } = await open({ title: 'Slow report', severity: 'P4' });
    await api().request('POST', `/incidents/${p4.id}/acknowledge`, { body: { by: 'erin' } });
    const listed = await eventually(
      async () => {
        const res = await api().request<{ incidents: Opened[] }>('GET', '/incidents?status=acknowledged&severity=P4', {
          token: api().viewerToken,
        });
        return res.body.incidents.some((i) => i.id === p4.id) ? res.body.incidents : undefined;
      },
      15_000,
      'the incident in the acknowledged P4 list',
    );
    assert.ok(listed.every((i) => i.status === 'acknowledged'));
    const open4 = await api().request<{ incidents: Opened[] }>('GET', '/incidents?status=open&severity=P4');
    assert.ok(!open4.body.incidents.some((i) => i.id === p4.id));
  });

  it('answers bad input with 400 naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ title: 'x', severity: 'P5' }, 'json.severity'],
      [{ severity: 'P1' }, 'json.title'],
      [{ title: 'x', severity: 'P1', ackTimeoutSeconds: -1 }, 'json.ackTimeoutSeconds'],
      [{ title: 'x', severity: 'P1', dedupKey: 'has spaces' }, 'json.dedupKey'],
    ];
    for (const [body, field] of cases) {
      const res = await api().request<ErrorBody>('POST', '/incidents', { body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.ok(
        res.body.error.details?.fields?.some((f) => f.field === field),
        `${field} in ${res.body.error.message}`,
      );
    }
    const missingBy = await api().request<ErrorBody>('POST', '/incidents/incident-nope/acknowledge', { body: {} });
    assert.equal(missingBy.status, 400);
    assert.ok(missingBy.body.error.details?.fields?.some((f) => f.field === 'json.by'));
    const unknown = await api().request<ErrorBody>('GET', '/incidents/incident-does-not-exist');
    assert.equal(unknown.status, 404);
    const viewer = await api().request<ErrorBody>('POST', '/incidents', {
      body: { title: 'x', severity: 'P1' },
      token: api().viewerToken,
    });
    assert.equal(viewer.status, 403);
  });

  it('creates, lists and deletes maintenance windows', async () => {
    const endsAt = new Date(Date.now() + 3600_000).toISOString();
    const created = await api().request<{ id: string; active: boolean }>('POST', '/maintenance-windows', {
      body: { endsAt, reason: 'PostgreSQL upgrade', sources: [`source-${run}`] },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.active, true);
    const listed = await api().request<{ windows: Array<{ id: string }> }>('GET', '/maintenance-windows');
    assert.ok(listed.body.windows.some((w) => w.id === created.body.id));
    const past = await api().request<ErrorBody>('POST', '/maintenance-windows', {
      body: { endsAt: '2020-01-01T00:00:00Z', reason: 'x' },
    });
    assert.equal(past.status, 400);
    assert.ok(past.body.error.details?.fields?.some((f) => f.field === 'json.endsAt'));
    const deleted = await api().request('DELETE', `/maintenance-windows/${created.body.id}`);
    assert.equal(deleted.status, 204);
    assert.equal((await api().request('DELETE', `/maintenance-windows/${created.body.id}`)).status, 404);
  });
});
