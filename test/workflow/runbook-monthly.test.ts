import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MonthlyFigures } from '../../src/reports/figures.js';
import { WEBHOOK_REPLAY_PROTECTION_MS } from '../../src/integrations/highlevel/webhook-window.js';
import { loadConfig } from '../../src/config.js';
import { RETENTION_POLICIES } from '../../src/runbooks/targets.js';
import { declaredSchedules, monthlyRunbookInput } from '../../src/schedules.js';
import { saveReport } from '../../src/reports/store.js';
import type { RetentionOutcome } from '../../src/workflows/runbooks/retention.js';
import { runRunbook, seedHistory, startRunbookEnv, type RunbookEnv } from './runbook-fixtures.js';

const BATCH = 7;

describe('monthly runbook', () => {
  let r: RunbookEnv;
  /** Accepted HighLevel webhook ids, one per age (`received_at = now() - age`). */
  const webhookEvents = (prefix: string, ages: string[]) =>
    r.env.pool.query(
      `INSERT INTO hl_webhook_events (webhook_id, event_type, company_id, event_timestamp, received_at)
       SELECT $1 || '-' || age, 'INSTALL', 'c1', now() - age::interval, now() - age::interval FROM unnest($2::text[]) age`,
      [prefix, ages],
    );
  /** Timed vendor calls, one per age in days, told apart by their endpoint group. */
  const vendorCalls = (tag: string, days: number[]) =>
    r.env.pool.query(
      `INSERT INTO vendor_calls (integration, endpoint_group, method, status, duration_ms, called_at)
       SELECT 'zoho', 'zoho:' || $1, 'GET', 200, 100, now() - make_interval(days => d) FROM unnest($2::int[]) d`,
      [tag, days],
    );
  const expired: Record<string, number> = {};
  const kept: Record<string, number> = {};
  before(async () => {
    r = await startRunbookEnv();
    await seedHistory(r.env);
    const q = (sql: string) => r.env.pool.query(sql);
    // Rows on both sides of each cutoff, none within an hour of it, so the run's exact start time does not matter.
    await q(`INSERT INTO api_audit_log (actor, role, method, path, status, created_at)
      SELECT 'operator:x', 'operator', 'POST', '/x', 200, now() - make_interval(days => 360 + g * 2) FROM generate_series(1, 10) g`);
    await q(`INSERT INTO token_refresh_logs (integration, outcome, created_at)
      SELECT 'zoho', 'refreshed', now() - make_interval(days => 80 + g * 3) FROM generate_series(1, 6) g`);
    await webhookEvents(
      'seed',
      [45, 40, 35, 20, 2].map((days) => `${days} days`),
    );
    await q(`INSERT INTO api_usage_minutes (integration, minute, calls)
      SELECT 'zoho', date_trunc('minute', now()) - make_interval(days => g * 2), 5 FROM generate_series(0, 6) g`);
    await vendorCalls('seed', [12, 17, 22, 27, 32, 37, 42, 47, 52]);
    await q(`INSERT INTO hl_installations (company_id, location_id, user_type, status, installed_at, last_refreshed_at) VALUES
      ('c1', 'old', 'Location', 'active', now() - interval '200 days', now() - interval '120 days'),
      ('c1', 'new', 'Location', 'active', now() - interval '20 days', now() - interval '1 day')`);
    for (const p of RETENTION_POLICIES) {
      const { rows } = await r.env.pool.query<{ old: number; young: number }>(
        `SELECT count(*) FILTER (WHERE ${p.ageColumn} < now() - make_interval(days => $1))::int AS old,
                count(*) FILTER (WHERE ${p.ageColumn} >= now() - make_interval(days => $1))::int AS young
           FROM ${p.table}`,
        [p.maxAgeDays],
      );
      expired[p.name] = rows[0]!.old;
      kept[p.name] = rows[0]!.young;
    }
  });
  after(() => r.stop());

  it('deletes exactly the expired rows of each retention policy, in bounded batches', async () => {
    const { result, report, workflowId } = await runRunbook(r.env, 'monthly', 'monthlyRunbook', [
      { retentionBatchSize: BATCH },
    ]);
    assert.deepEqual(
      result.steps.map((s) => s.name),
      ['reconciliation', 'kpi review', 'retention', 'credential age'],
    );
    const retention = report.figures.retention as RetentionOutcome[];
    assert.ok(expired['expired-sessions']! > BATCH && expired['old-otp-codes']! > BATCH, 'the demo data spans batches');
    let batches = 0;
    for (const p of RETENTION_POLICIES) {
      const outcome = retention.find((o) => o.policy === p.name)!;
      assert.equal(outcome.deleted, expired[p.name], `${p.name} deleted exactly the expired rows`);
      assert.equal(outcome.batches, Math.floor(expired[p.name]! / BATCH) + 1, `${p.name} in batches of ${BATCH}`);
      batches += outcome.batches;
      // The run itself may add young rows (its own API calls are counted per minute): none old, none lost.
      const { rows } = await r.env.pool.query<{ old: number; n: number }>(
        `SELECT count(*) FILTER (WHERE ${p.ageColumn} < now() - make_interval(days => $1))::int AS old,
                count(*)::int AS n FROM ${p.table}`,
        [p.maxAgeDays],
      );
      assert.equal(rows[0]!.old, 0, `${p.name} left no expired row`);
      assert.ok(rows[0]!.n >= kept[p.name]!, `${p.name} kept the young rows`);
    }
    // One activity call per batch.
    let calls = 0;
    const history = await r.env.client.workflow.getHandle(workflowId).fetchHistory();
    for (const e of history.events ?? []) {
      if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'deleteExpiredBatch') calls++;
    }
    assert.equal(calls, batches);
  });

  it('never deletes a webhook id younger than the replay-protection window, even when a run asks for 0 days', async () => {
    await webhookEvents('window', ['30 minutes', '15 minutes', '8 minutes', '2 minutes', '10 seconds']);
    const { report } = await runRunbook(r.env, 'monthly', 'monthlyRunbook', [
      { retentionMaxAgeDays: { 'webhook-events': 0 } },
    ]);
    const outcome = (report.figures.retention as RetentionOutcome[]).find((o) => o.policy === 'webhook-events')!;
    const { rows } = await r.env.pool.query<{ webhook_id: string }>(
      `SELECT webhook_id FROM hl_webhook_events ORDER BY received_at`,
    );
    // The window is twice the signature tolerance (a webhook may be stamped up to 5 minutes ahead): 10 minutes.
    assert.deepEqual(
      rows.map((x) => x.webhook_id),
      ['window-8 minutes', 'window-2 minutes', 'window-10 seconds'],
    );
    assert.ok(outcome.deleted >= 2, 'the rows past the window were deleted');
    assert.ok(Date.parse(outcome.cutoff) <= Date.now() - WEBHOOK_REPLAY_PROTECTION_MS);
  });

  it('keeps timed vendor calls for OPSFLOW_VENDOR_CALLS_RETENTION_DAYS, passed by the schedule and the API', async () => {
    const config = loadConfig({ OPSFLOW_VENDOR_CALLS_RETENTION_DAYS: '20' });
    const input = monthlyRunbookInput(config);
    assert.deepEqual(input, { retentionMaxAgeDays: { 'vendor-calls': 20 } });
    const monthly = declaredSchedules(config).find((d) => d.workflowType === 'monthlyRunbook')!;
    assert.deepEqual(monthly.args, [input]);

    await vendorCalls('window', [3, 15, 25, 30]);
    const { report } = await runRunbook(r.env, 'monthly', 'monthlyRunbook', [input]);
    const outcome = (report.figures.retention as RetentionOutcome[]).find((o) => o.policy === 'vendor-calls')!;
    // The seeded calls 22 to 32 days old go too (the first run kept them under the default 35 days).
    assert.equal(outcome.deleted, 2 + 3);
    const { rows } = await r.env.pool.query<{ group: string; age: number }>(
      `SELECT endpoint_group AS group, round(extract(epoch FROM now() - called_at) / 86400)::int AS age
         FROM vendor_calls WHERE endpoint_group IN ('zoho:window', 'zoho:seed') ORDER BY 2`,
    );
    assert.deepEqual(
      rows.map((x) => [x.group, x.age]),
      [
        ['zoho:window', 3],
        ['zoho:seed', 12],
        ['zoho:window', 15],
        ['zoho:seed', 17],
      ],
    );
  });

  it('reviews KPIs and plan usage with figures equal to SQL, and flags old credentials', async () => {
    const { report } = await runRunbook(r.env, 'monthly', 'monthlyRunbook');
    const f = report.figures as unknown as MonthlyFigures & {
      kpis: Array<{ kpi: string; value: number | null; met: boolean }>;
      reconciliation: Record<string, Record<string, number>>;
      credentials: { overdue: Array<{ ageDays: number }> };
    };
    const { pool } = r.env;
    const from = f.thisMonth.from;
    const to = f.thisMonth.to;
    assert.equal(Date.parse(to) - Date.parse(from), 30 * 86_400_000);
    const sync = await pool.query<{ total: number; failed: number; avg: string }>(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE outcome = 'failed')::int AS failed, avg(duration_ms) AS avg
         FROM zoho_sync_logs WHERE created_at >= $1 AND created_at < $2`,
      [from, to],
    );
    const { total, failed } = sync.rows[0]!;
    const kpi = (name: string) => f.kpis.find((k) => k.kpi === name)!;
    assert.equal(kpi('sync success rate %').value, Math.round(((total - failed) / total) * 10000) / 100);
    assert.equal(kpi('failed syncs per day').value, Math.round((failed / 30) * 100) / 100);
    assert.ok(Math.abs(kpi('average sync ms').value! - Number(sync.rows[0]!.avg)) <= 1);
    const api = await pool.query<{ integration: string; calls: number; hits: number; peak: number }>(
      `SELECT integration, sum(calls)::int AS calls, sum(rate_limit_hits)::int AS hits, max(calls)::int AS peak
         FROM api_usage WHERE day >= $1::timestamptz::date AND day < $2::timestamptz::date GROUP BY 1 ORDER BY 1`,
      [from, to],
    );
    assert.deepEqual(
      f.thisMonth.api.map((u) => [u.integration, u.calls, u.rateLimitHits, u.peakDayCalls]),
      api.rows.map((x) => [x.integration, x.calls, x.hits, x.peak]),
    );
    const hits = api.rows.reduce((n, x) => n + x.hits, 0);
    assert.equal(kpi('rate-limit hits').value, hits);
    assert.equal(kpi('rate-limit hits').met, hits === 0);
    const zoho = api.rows.find((x) => x.integration === 'zoho')!;
    assert.equal(kpi('zoho peak day % of plan').value, Math.round((zoho.peak / 25_000) * 10000) / 100);

    const local = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM customers`);
    assert.equal(
      Object.values(f.reconciliation.customers ?? {}).reduce((a, b) => a + b, 0),
      local.rows[0]!.n,
    );
    assert.deepEqual(
      f.credentials.overdue.map((o) => o.ageDays),
      [120],
    );
  });

  it('gives two runs started in the same second a report each', async () => {
    const runs = await Promise.all([1, 2].map(() => runRunbook(r.env, 'monthly', 'monthlyRunbook')));
    const [a, b] = runs.map((run) => run.report);
    assert.notEqual(a!.id, b!.id);
    for (const run of runs) {
      const { runId } = await r.env.client.workflow.getHandle(run.workflowId).describe();
      assert.equal(run.report.runId, runId, 'each run answers its own report');
    }
    // A stored id is never answered for another run.
    await assert.rejects(saveReport(r.env.pool, { ...a!, runId: 'another-run' }), /taken by another run/);
  });
});
