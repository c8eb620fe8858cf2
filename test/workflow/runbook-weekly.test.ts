import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WeeklyFigures } from '../../src/reports/figures.js';
import { eventually } from '../harness.js';
import { mailTo } from '../incident-doubles.js';
import { runRunbook, seedHistory, startRunbookEnv, type RunbookEnv } from './runbook-fixtures.js';

describe('weekly runbook', () => {
  let r: RunbookEnv;
  before(async () => {
    r = await startRunbookEnv();
    await seedHistory(r.env);
    const q = (sql: string) => r.env.pool.query(sql);
    await q(`INSERT INTO hl_installations (company_id, location_id, user_type, status, expires_at, installed_at) VALUES
      ('c1', 'l1', 'Location', 'active', now() + interval '2 hours', now() - interval '3 days'),
      ('c1', 'l2', 'Location', 'active', now() + interval '3 days', now() - interval '10 days'),
      ('c1', 'l3', 'Location', 'expired', now() - interval '1 day', now() - interval '40 days'),
      ('c2', 'l4', 'Location', 'revoked', NULL, now() - interval '2 days')`);
    const dayStart = `(date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')`;
    await q(`INSERT INTO security_events (type, source_ip, method, route, created_at)
      SELECT 'auth.token_invalid', '203.0.113.7', 'GET', '/incidents', ${dayStart} - make_interval(hours => g)
        FROM generate_series(1, 4) g`);
    await q(`INSERT INTO security_events (type, source_ip, method, route, created_at) VALUES
      ('webhook.signature_invalid', '203.0.113.7', 'POST', '/webhooks/highlevel', ${dayStart} - interval '5 hours'),
      ('oauth.state_invalid', '203.0.113.7', 'GET', '/oauth/highlevel/callback', ${dayStart} - interval '6 hours'),
      ('auth.token_missing', '198.51.100.1', 'GET', '/incidents', ${dayStart} - interval '1 day'),
      ('auth.token_invalid', '198.51.100.1', 'GET', '/incidents', now() - interval '9 days')`);
    await q(`INSERT INTO hl_audit_log (event_type, ip_address, created_at) VALUES
      ('token.reuse_detected', NULL, ${dayStart} - interval '2 days'),
      ('app_installed', NULL, now() - interval '9 days')`);
    await q(`INSERT INTO token_refresh_logs (integration, installation_id, outcome, created_at)
      SELECT 'highlevel', (SELECT id FROM hl_installations WHERE location_id = 'l1'), 'failed', (date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') - make_interval(hours => g)
        FROM generate_series(1, 3) g`);
    await q(`INSERT INTO token_refresh_logs (integration, installation_id, outcome, created_at)
      SELECT 'highlevel', (SELECT id FROM hl_installations WHERE location_id = 'l2'), 'refreshed', now() - make_interval(days => g)
        FROM generate_series(1, 10) g`);
    await q(`INSERT INTO customers (reference, display_name, email, sync_state, updated_at) VALUES
      ('stale-1', 'Stale', 's@example.test', 'failed', now() - interval '10 days'),
      ('stale-2', 'Stale', 's@example.test', 'failed', now() - interval '8 days'),
      ('fresh-1', 'Fresh', 'f@example.test', 'failed', now() - interval '2 days')`);
    await q(`INSERT INTO webhook_deliveries (target_url, event_type, payload, status, attempts, created_at) VALUES
      ('http://127.0.0.1:9/x', 'e', '{}', 'failed', 5, now() - interval '12 days')`);
    await q(`INSERT INTO incidents (id, workflow_id, title, severity, status, opened_at) VALUES
      ('inc-script', 'incident-inc-script', 'Queue stuck <script>alert(1)</script>', 'P2', 'open', now() - interval '3 hours')`);
  });
  after(() => r.stop());

  it('reports the week against the previous one with figures equal to SQL, and does the weekly chores', async () => {
    const { result, report } = await runRunbook(r.env, 'weekly', 'weeklyRunbook');
    assert.deepEqual(
      result.steps.map((s) => s.name),
      ['weekly figures', 'stale failures', 'security patterns', 'analyze'],
    );
    const f = report.figures as unknown as WeeklyFigures & {
      abandoned: Record<string, number>;
      security: {
        failedLogins: Array<{ source: string; count: number }>;
        tokenAbuse: Array<{ failedRefreshes: number }>;
      };
    };
    const { pool } = r.env;
    const end = report.periodEnd;
    assert.equal(Date.parse(end) - Date.parse(report.periodStart), 7 * 86_400_000);

    for (const [week, from, to] of [
      [f.thisWeek, report.periodStart, end],
      [f.previousWeek, new Date(Date.parse(report.periodStart) - 7 * 86_400_000).toISOString(), report.periodStart],
    ] as const) {
      const sync = await pool.query<{ entity: string; total: number; failed: number }>(
        `SELECT entity, count(*)::int AS total, count(*) FILTER (WHERE outcome = 'failed')::int AS failed
           FROM zoho_sync_logs WHERE created_at >= $1 AND created_at < $2 GROUP BY entity ORDER BY entity`,
        [from, to],
      );
      assert.deepEqual(
        week.sync
          .map((s) => [s.entity, s.total, s.failed, s.successRate])
          .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
        sync.rows.map((x) => [x.entity, x.total, x.failed, Math.round(((x.total - x.failed) / x.total) * 10000) / 100]),
      );
      const api = await pool.query<{ integration: string; calls: number; errors: number; hits: number }>(
        `SELECT integration, sum(calls)::int AS calls, sum(errors)::int AS errors, sum(rate_limit_hits)::int AS hits
           FROM api_usage WHERE day >= $1::timestamptz::date AND day < $2::timestamptz::date GROUP BY integration ORDER BY integration`,
        [from, to],
      );
      assert.deepEqual(
        week.api.map((u) => [u.integration, u.calls, u.errors, u.rateLimitHits]),
        api.rows.map((x) => [x.integration, x.calls, x.errors, x.hits]),
      );
      const events = await pool.query<{ event_type: string; n: number }>(
        `SELECT event_type, count(*)::int AS n FROM (
           SELECT type AS event_type, created_at FROM security_events
           UNION ALL SELECT event_type, created_at FROM hl_audit_log) e
          WHERE created_at >= $1 AND created_at < $2 GROUP BY 1`,
        [from, to],
      );
      assert.deepEqual(week.securityEvents, Object.fromEntries(events.rows.map((x) => [x.event_type, x.n])));
      const alerts = await pool.query<{ rule_id: string; n: number }>(
        `SELECT rule_id, count(*)::int AS n FROM alert_events WHERE state = 'firing' AND created_at >= $1 AND created_at < $2 GROUP BY 1`,
        [from, to],
      );
      assert.deepEqual(week.alertsFired, Object.fromEntries(alerts.rows.map((x) => [x.rule_id, x.n])));
      const incidents = await pool.query<{ severity: string; n: number }>(
        `SELECT severity, count(*)::int AS n FROM incidents WHERE opened_at >= $1 AND opened_at < $2 GROUP BY 1`,
        [from, to],
      );
      assert.deepEqual(week.incidentsOpened, Object.fromEntries(incidents.rows.map((x) => [x.severity, x.n])));
    }
    assert.deepEqual(f.installationsByStatus, { active: 2, expired: 1, revoked: 1 });
    assert.equal(f.tokensExpiring24h, 1);
    assert.equal(f.thisWeek.tokenRefreshes.failed, 3);

    // Stale failures (older than 7 days) were abandoned; the fresh one was left for the daily retries.
    assert.deepEqual(f.abandoned, { customers: 2, subscriptions: 0, invoices: 0, payments: 0, webhook_deliveries: 1 });
    const states = await pool.query<{ reference: string; sync_state: string }>(
      `SELECT reference, sync_state FROM customers WHERE reference LIKE 'stale-%' OR reference LIKE 'fresh-%' ORDER BY 1`,
    );
    assert.deepEqual(
      states.rows.map((x) => [x.reference, x.sync_state]),
      [
        ['fresh-1', 'failed'],
        ['stale-1', 'abandoned'],
        ['stale-2', 'abandoned'],
      ],
    );
    // Refused requests are counted by type from security_events, and every type counts towards a source's flag.
    assert.deepEqual(
      { ...f.thisWeek.securityEvents },
      {
        'auth.token_invalid': 4,
        'webhook.signature_invalid': 1,
        'oauth.state_invalid': 1,
        'auth.token_missing': 1,
        'token.reuse_detected': 1,
      },
    );
    assert.deepEqual(f.security.failedLogins, [{ source: '203.0.113.7', count: 6 }]);
    assert.deepEqual(
      f.security.tokenAbuse.map((t) => t.failedRefreshes),
      [3],
    );
    assert.equal(result.steps.find((s) => s.name === 'security patterns')?.status, 'warning');
    const analyzed = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_user_tables WHERE relname = 'zoho_sync_logs' AND last_analyze IS NOT NULL`,
    );
    assert.equal(analyzed.rows[0]!.n, 1);
  });

  it('emails the report as HTML with week-over-week charts that need no scripts or images', async () => {
    const { report } = await runRunbook(r.env, 'weekly', 'weeklyRunbook');
    const mail = await eventually(async () =>
      (await mailTo(r.opsEmail)).find((m) => m.html.includes(`/reports/${report.id}?link=`)),
    );
    assert.match(mail.subject, /Weekly operations report/);
    assert.match(mail.html, /<table class="chart"/);
    assert.match(mail.html, /previous week/);
    assert.match(mail.html, /bgcolor="#0969da"/, 'bars are coloured table cells');
    assert.match(mail.html, /Sync success rate per entity/);
    assert.doesNotMatch(mail.html, /<script|<img|<link/i);
    // The open incident is on the attention list, its title escaped; the email links to the report's page.
    assert.match(mail.html, /Queue stuck &lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.ok(mail.html.includes(`<a href="${r.env.config.api.publicUrl}/reports/${report.id}?link=`));
    assert.match(mail.html, /<h2 id="executive-summary"/);
    const summary = await eventually(async () =>
      r.chat.received.find((m) => JSON.stringify(m.body).includes('Weekly operations report')),
    );
    assert.ok(summary);
  });
});
