import assert from 'node:assert/strict';
import type { ScheduleDescription } from '@temporalio/client';
import type { TypedSearchAttributes } from '@temporalio/common';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { findTemporalCli } from '../../src/dev/temporal.js';
import { createLogger } from '../../src/logger.js';
import { applySchedules, declaredSchedules } from '../../src/schedules.js';
import { OpsKind } from '../../src/temporal/search-attributes.js';
import { eventually, startTestEnv, testStack, type TestEnv } from '../harness.js';

const TZ = 'Europe/Berlin';

/** Hour, minute, weekday and day of month of `at` on the wall clock of `timeZone`. */
function wallClock(at: Date, timeZone: string) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'long',
      day: 'numeric',
      hourCycle: 'h23',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return { time: `${parts.hour}:${parts.minute}`, weekday: parts.weekday, day: Number(parts.day) };
}

interface ScheduleBody {
  id: string;
  paused: boolean;
  timeZone: string;
  overlap: string;
  nextRunTimes: string[];
}

describe('schedules', () => {
  let env: TestEnv;
  let ids: string[];
  before(async () => {
    env = await startTestEnv({ api: true, env: { OPSFLOW_TIMEZONE: TZ } });
    ids = declaredSchedules(env.config).map((s) => s.id);
  });
  after(async () => {
    for (const id of ids)
      await env.client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
    await env.stop();
  });

  it('creates the declared schedules once; applying them again changes nothing', async () => {
    const first = await applySchedules(env.client, env.config);
    assert.deepEqual(
      Object.values(first),
      ids.map(() => 'created'),
    );
    const before = await Promise.all(ids.map((id) => env.client.schedule.getHandle(id).describe()));
    const second = await applySchedules(env.client, env.config);
    assert.deepEqual(
      Object.values(second),
      ids.map(() => 'unchanged'),
    );
    const afterwards = await Promise.all(ids.map((id) => env.client.schedule.getHandle(id).describe()));
    assert.deepEqual(
      afterwards.map((d) => d.info.lastUpdatedAt?.getTime()),
      before.map((d) => d.info.lastUpdatedAt?.getTime()),
    );

    const listed = await eventually(async () => {
      const found: string[] = [];
      for await (const s of env.client.schedule.list()) if (ids.includes(s.scheduleId)) found.push(s.scheduleId);
      return found.length === ids.length ? found.sort() : undefined;
    });
    assert.deepEqual(listed, [...ids].sort(), 'each schedule exists exactly once');
  });

  it('runs the monitor every 5 minutes, alert rules every 2, token refresh hourly, the backup at 02:00 and the runbooks at their local times, with OpsKind and a summary', async () => {
    const [monitor, alertRules, tokenRefresh, webhookRetries, deliverySla, backup, daily, weekly, monthly] =
      await Promise.all(ids.map((id) => env.client.schedule.getHandle(id).describe()));
    const gapsOf = (d: ScheduleDescription) =>
      d.info.nextActionTimes.slice(1).map((t, i) => t.getTime() - d.info.nextActionTimes[i]!.getTime());
    for (const [d, every] of [
      [monitor!, 5 * 60_000],
      [alertRules!, 2 * 60_000],
      [tokenRefresh!, 3600_000],
      [webhookRetries!, 15 * 60_000],
      [deliverySla!, 5 * 60_000],
    ] as const) {
      const gaps = gapsOf(d);
      assert.ok(gaps.length > 0 && gaps.every((g) => g === every), `${d.scheduleId} runs every ${every} ms`);
    }
    // The probes and the alert rules run on their own schedules; the hourly refresh looks two hours ahead.
    const argsOf = (d: ScheduleDescription) => (d.action.type === 'startWorkflow' ? d.action.args : undefined);
    assert.deepEqual(argsOf(monitor!), [{ alertRules: false }]);
    assert.deepEqual(argsOf(alertRules!), [{ probes: false }]);
    assert.deepEqual(argsOf(tokenRefresh!), [{ withinSeconds: 7200 }]);
    assert.deepEqual(argsOf(webhookRetries!), [{ sla: false }]);
    assert.deepEqual(argsOf(deliverySla!), [{ webhookRetries: false }]);
    assert.equal(alertRules!.policies.overlap, 'SKIP');
    assert.equal(tokenRefresh!.policies.overlap, 'SKIP');
    for (const t of daily!.info.nextActionTimes) assert.equal(wallClock(t, TZ).time, '09:00');
    // The nightly backup: 02:00 local, never two at once, a missed night still run until 08:00.
    for (const t of backup!.info.nextActionTimes) assert.equal(wallClock(t, TZ).time, '02:00');
    assert.deepEqual(argsOf(backup!), [{ trigger: 'schedule' }]);
    assert.equal(backup!.policies.overlap, 'SKIP');
    assert.equal(backup!.policies.catchupWindow, 6 * 3600_000);
    assert.equal(backup!.action.type === 'startWorkflow' && backup!.action.workflowType, 'backupDatabase');
    for (const t of weekly!.info.nextActionTimes)
      assert.deepEqual([wallClock(t, TZ).weekday, wallClock(t, TZ).time], ['Monday', '09:30']);
    for (const t of monthly!.info.nextActionTimes) {
      const w = wallClock(t, TZ);
      assert.ok(
        w.weekday === 'Monday' && w.day <= 7 && w.time === '10:00',
        `${t.toISOString()} is a first Monday 10:00`,
      );
    }
    assert.equal(daily!.spec.timezone, TZ);
    assert.equal(daily!.policies.overlap, 'BUFFER_ONE');
    assert.equal(monitor!.policies.overlap, 'SKIP');
    assert.equal(daily!.policies.pauseOnFailure, false);
    assert.equal(daily!.action.type, 'startWorkflow');
    if (daily!.action.type === 'startWorkflow') {
      assert.equal(daily!.action.workflowType, 'dailyRunbook');
      assert.match(daily!.action.workflowId, /runbook-daily$/);
      assert.equal((daily!.action.typedSearchAttributes as TypedSearchAttributes | undefined)?.get(OpsKind), 'daily');
      assert.match(daily!.action.staticSummary ?? '', /Daily runbook/);
    }
  });

  it('appear in the Temporal CLI schedule list', async (t) => {
    const cli = await findTemporalCli({ cacheDir: loadConfig({}).cacheDir, log: createLogger('warn') });
    if (!('path' in cli) || !cli.path) return t.skip('no Temporal CLI binary on this machine');
    const { stdout } = await promisify(execFile)(cli.path, [
      'schedule',
      'list',
      '--address',
      testStack().temporalAddress,
      '--namespace',
      env.config.temporal.namespace,
      '--output',
      'json',
    ]);
    for (const id of ids) assert.ok(stdout.includes(id), `${id} in temporal schedule list`);
  });

  it('lists, pauses, unpauses and triggers schedules through the API; a changed declaration updates in place', async () => {
    const api = env.api!;
    const list = await api.request<{ schedules: ScheduleBody[] }>('GET', '/schedules', { token: api.viewerToken });
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.schedules.map((s) => s.id),
      ids,
    );
    for (const s of list.body.schedules) assert.ok(s.nextRunTimes.length > 0, `${s.id} has next run times`);

    const daily = ids.find((id) => id.endsWith('opsflow-daily-runbook'))!;
    const paused = await api.request<ScheduleBody>('POST', `/schedules/${daily}/pause`, {
      body: { note: 'maintenance' },
    });
    assert.equal(paused.status, 200);
    assert.equal(paused.body.paused, true);
    // A new declaration (another time zone) updates the schedule but keeps the operator's pause.
    const moved = { ...env.config, timeZone: 'America/New_York' };
    const outcome = await applySchedules(env.client, moved);
    assert.equal(outcome[daily], 'updated');
    const described = await env.client.schedule.getHandle(daily).describe();
    assert.equal(described.state.paused, true);
    assert.equal(described.spec.timezone, 'America/New_York');
    const unpaused = await api.request<ScheduleBody>('POST', `/schedules/${daily}/unpause`);
    assert.equal(unpaused.body.paused, false);

    const monitor = ids[0]!;
    const triggered = await api.request('POST', `/schedules/${monitor}/trigger`);
    assert.equal(triggered.status, 200);
    const run = await eventually(async () => {
      for await (const wf of env.client.workflow.list({
        query: `OpsKind='monitor' AND TaskQueue='${env.config.taskQueues.main}'`,
      })) {
        return wf;
      }
      return undefined;
    });
    assert.match(run.workflowId, new RegExp(`^${env.config.taskQueues.main.replace('opsflow', '')}monitor-`));

    const missing = await api.request<{ error: { code: string } }>('POST', '/schedules/no-such-schedule/pause');
    assert.equal(missing.status, 404);
    const viewer = await api.request('POST', `/schedules/${monitor}/trigger`, { token: api.viewerToken });
    assert.equal(viewer.status, 403);
  });
});
