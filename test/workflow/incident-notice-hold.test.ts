import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createNotifyActivities } from '../../src/activities/incidents/notify.js';
import type { NotificationMessage } from '../../src/notifications/index.js';
import { startTestEnv, type TestEnv } from '../harness.js';
import { mailTo } from '../incident-doubles.js';

const run = randomUUID().slice(0, 8);
const ops = `ops-${run}@example.test`;
const oncall = `oncall-${run}@example.test`;

describe('an incident notice and maintenance windows', () => {
  let env: TestEnv;
  let activities: ReturnType<typeof createNotifyActivities>;

  before(async () => {
    env = await startTestEnv({ workers: false, env: { OPSFLOW_ESCALATION_L1_EMAILS: `${ops},${oncall}` } });
    activities = createNotifyActivities({ config: env.config, pool: env.pool, log: env.log });
  });
  after(() => env.stop());

  const notice = (id: string): NotificationMessage => ({
    idempotencyKey: `incident/${id}/level/1/repeat/0`,
    subject: `[P1] Hold test ${id} (level 1)`,
    text: 'P1 incident, escalation level 1.',
    link: `https://opsflow.example.test/incidents/${id}`,
    severity: 'P1',
    level: 1,
    incident: { id, workflowId: `incident-${id}`, level: 1 },
  });
  const holdFor = { severity: 'P1', source: `hold-${run}` };
  const windowFor = (id: string, source = holdFor.source) =>
    env.pool.query(
      `INSERT INTO maintenance_windows (id, starts_at, ends_at, reason, sources, created_by)
       VALUES ($1, now() - interval '1 minute', now() + interval '1 hour', 'upgrade', ARRAY[$2], 'test')`,
      [id, source],
    );
  const outboxKeys = async (id: string) =>
    (
      await env.pool.query<{ idempotency_key: string; status: string }>(
        `SELECT idempotency_key, status FROM notifications WHERE idempotency_key LIKE $1 ORDER BY 1`,
        [`incident/${id}/%`],
      )
    ).rows;

  it('sends when no window covers the incident', async () => {
    const id = `free-${run}`;
    await windowFor(`mw-other-${run}`, 'another-source');
    const result = await activities.sendIncidentNotice({ notice: notice(id), holdFor });
    assert.equal(result.heldBy, undefined);
    assert.deepEqual(result.deliveries?.map((d) => [d.target, d.status]).sort(), [
      [oncall, 'sent'],
      [ops, 'sent'],
    ]);
  });

  it('holds the notice while a window covers it: nothing sent, nothing in the outbox', async () => {
    const id = `held-${run}`;
    await windowFor(`mw-held-${run}`);
    const result = await activities.sendIncidentNotice({ notice: notice(id), holdFor });
    assert.equal(result.heldBy?.id, `mw-held-${run}`);
    assert.deepEqual(await outboxKeys(id), []);
    assert.equal((await mailTo(ops)).filter((m) => m.subject.includes(id)).length, 0);
  });

  it('finishes a notice an earlier attempt began to send, window or not', async () => {
    const id = `begun-${run}`;
    const key = notice(id).idempotencyKey;
    // The earlier attempt sent the copy for ops, then failed before the on-call's; a window opened since.
    await windowFor(`mw-begun-${run}`);
    await env.pool.query(
      `INSERT INTO notifications (idempotency_key, channel, target, subject, status, sent_at)
       VALUES ($1, 'email', $2, 'earlier attempt', 'sent', now())`,
      [`${key}/email/${ops}`, ops],
    );
    const result = await activities.sendIncidentNotice({ notice: notice(id), holdFor });
    assert.equal(result.heldBy, undefined);
    assert.deepEqual(result.deliveries?.map((d) => [d.target, d.status]).sort(), [
      [oncall, 'sent'],
      [ops, 'already-sent'],
    ]);
    assert.equal((await mailTo(oncall)).filter((m) => m.subject.includes(id)).length, 1);
    assert.equal((await mailTo(ops)).filter((m) => m.subject.includes(id)).length, 0, 'ops got no second copy');
  });
});
