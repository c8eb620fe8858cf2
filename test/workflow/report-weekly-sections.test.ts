/**
 * The weekly report's sections against rows this file inserts: every figure is computed here again, from the rows
 * (or by an independent SQL query), and compared with what the weekly figures activity and the report builder say.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createWeeklyRunbookActivities } from '../../src/activities/runbooks/weekly.js';
import type { WeeklyFigures } from '../../src/reports/figures.js';
import { renderHtml } from '../../src/reports/html.js';
import { renderMarkdown } from '../../src/reports/markdown.js';
import { slug } from '../../src/reports/tables.js';
import type { Report } from '../../src/reports/types.js';
import { startTestEnv, type TestEnv } from '../harness.js';
import { weeklyReportOf } from './runbook-fixtures.js';

const AS_OF = '2026-11-23T09:30:00.000Z';
const WEEK_START = Date.parse('2026-11-16T00:00:00Z');
const WEEK_END = Date.parse('2026-11-23T00:00:00Z');
const PREV_START = Date.parse('2026-11-09T00:00:00Z');
const H = 3_600_000;
const at = (iso: string) => new Date(iso).toISOString();

/** Health checks: integration, status, latency, time. */
const CHECKS: Array<[string, 'healthy' | 'degraded' | 'down', number, string]> = [
  ['zoho', 'healthy', 90, '2026-11-15T12:00:00Z'], // previous week; its verdict carries into this week
  ['zoho', 'down', 5000, '2026-11-17T00:00:00Z'],
  ['zoho', 'healthy', 100, '2026-11-17T02:00:00Z'],
  ['zoho', 'degraded', 300, '2026-11-18T00:00:00Z'],
  ['zoho', 'healthy', 200, '2026-11-20T00:00:00Z'],
  ['highlevel', 'healthy', 50, '2026-11-16T00:00:00Z'],
  ['highlevel', 'down', 9000, '2026-11-22T00:00:00Z'],
];

/** Down minutes and covered minutes of one integration in [from, to), a check's verdict holding until the next. */
function expectedUptime(integration: string, from: number, to: number) {
  const checks = CHECKS.filter((c) => c[0] === integration).map((c) => ({ status: c[1], t: Date.parse(c[3]) }));
  let covered = 0;
  let down = 0;
  checks.forEach((c, i) => {
    const start = Math.max(c.t, from);
    const end = Math.min(checks[i + 1]?.t ?? to, to);
    if (end <= start) return;
    covered += end - start;
    if (c.status === 'down') down += end - start;
  });
  return covered === 0 ? null : Math.round(100 * (1 - down / covered) * 100) / 100;
}

/** PostgreSQL's percentile_cont: linear interpolation between the closest ranks. */
function percentileCont(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = p * (s.length - 1);
  const lo = Math.floor(pos);
  return Math.round(s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo));
}

const INCIDENTS = [
  // id, severity, status, opened, acknowledged, resolved
  ['inc-1', 'P1', 'resolved', '2026-11-17T10:00:00Z', '2026-11-17T10:30:00Z', '2026-11-17T12:00:00Z'],
  ['inc-2', 'P2', 'acknowledged', '2026-11-18T00:00:00Z', '2026-11-18T01:00:00Z', null],
  ['inc-3', 'P3', 'resolved', '2026-11-10T00:00:00Z', null, '2026-11-10T01:00:00Z'],
] as const;
/** Sync attempts: entity, outcome, error class, duration, time. */
const SYNCS: Array<[string, string, string | null, number, string]> = [
  ['invoices', 'created', null, 100, '2026-11-17T00:00:00Z'],
  ['invoices', 'failed', 'RateLimited', 400, '2026-11-17T01:00:00Z'],
  ['invoices', 'failed', 'RateLimited', 300, '2026-11-18T01:00:00Z'],
  ['invoices', 'failed', 'ServerError', 200, '2026-11-19T01:00:00Z'],
  ['customers', 'created', null, 50, '2026-11-17T00:00:00Z'],
  ['customers', 'updated', null, 60, '2026-11-18T00:00:00Z'],
  ['invoices', 'created', null, 1000, '2026-11-10T00:00:00Z'],
];

const SCRIPT_TITLE = 'Disk full <script>alert(1)</script>';

describe('weekly report sections', () => {
  let env: TestEnv;
  let weekly: ReturnType<typeof createWeeklyRunbookActivities>;
  const report = (figures: WeeklyFigures): Report => weeklyReportOf(figures, AS_OF, 'DEGRADED');

  before(async () => {
    env = await startTestEnv({ workers: false });
    weekly = createWeeklyRunbookActivities({ pool: env.pool, config: env.config });
  });
  after(() => env.stop());

  it('renders a week with no data with zeros or "none", never an error or NaN', async () => {
    const f = await weekly.collectWeeklyFigures({ asOf: AS_OF });
    assert.equal(f.thisWeek.incidents.mttaMinutes, null);
    assert.equal(f.thisWeek.alerts.resolutionRatePct, null);
    assert.deepEqual(f.thisWeek.uptime, []);
    assert.equal(f.snapshot.backupsConfigured, false);
    assert.equal(f.previousSnapshot, null);
    const r = report(f);
    for (const text of [JSON.stringify(r.sections), renderHtml(r), renderMarkdown(r)]) {
      assert.doesNotMatch(text, /NaN|undefined|null|Infinity/);
    }
    const backups = r.sections.find((s) => s.title === 'Backups');
    assert.equal(backups?.text, 'No backups configured.');
    assert.equal(backups?.table, undefined, 'no made-up backup figures');
    assert.match(r.sections[0]!.text!, /Nothing needs attention/);
  });

  describe('a seeded week', () => {
    let f: WeeklyFigures;
    let r: Report;
    before(async () => {
      const q = (sql: string, params: unknown[] = []) => env.pool.query(sql, params);
      for (const [integration, status, latency, t] of CHECKS) {
        await q(
          `INSERT INTO integration_health_logs (integration, status, latency_ms, checked_at) VALUES ($1, $2, $3, $4)`,
          [integration, status, latency, t],
        );
      }
      await q(`INSERT INTO hl_installations (company_id, location_id, user_type, status, installed_at, expires_at,
                 last_refreshed_at, refresh_token_enc) VALUES
        ('co-1', NULL, 'Company', 'active', '2026-11-19T08:00:00Z', '${AS_OF}'::timestamptz + interval '2 hours', NULL, NULL),
        ('co-2', 'loc-a', 'Location', 'active', '2026-11-17T08:00:00Z', '${AS_OF}'::timestamptz + interval '3 hours',
          '2026-11-22T09:30:00Z', '\\x01'),
        ('co-2', 'loc-b', 'Location', 'active', '2026-11-17T09:00:00Z', '${AS_OF}'::timestamptz + interval '4 hours',
          '2026-11-23T05:30:00Z', '\\x01'),
        ('co-3', 'loc-c', 'Location', 'active', '2026-11-10T09:00:00Z', '${AS_OF}'::timestamptz + interval '5 hours',
          NULL, NULL),
        ('co-3', NULL, 'Company', 'active', '2026-11-01T09:00:00Z', '${AS_OF}'::timestamptz + interval '30 hours',
          '2026-11-22T21:30:00Z', '\\x01'),
        ('co-4', 'loc-d', 'Location', 'revoked', '2026-10-01T09:00:00Z', NULL, NULL, NULL)`);
      const id = async (loc: string) =>
        (await q(`SELECT id FROM hl_installations WHERE location_id = $1`, [loc])).rows[0].id as number;
      // loc-a's last refresh failed (twice this week); loc-b's last one worked after an earlier failure.
      await q(
        `INSERT INTO token_refresh_logs (integration, installation_id, outcome, error_class, message, created_at) VALUES
        ('highlevel', $1, 'failed', 'AuthFailed', 'invalid_grant', '2026-11-20T10:00:00Z'),
        ('highlevel', $1, 'failed', 'AuthFailed', 'invalid_grant again', '2026-11-21T10:00:00Z'),
        ('highlevel', $2, 'failed', 'ServerError', 'HTTP 502', '2026-11-21T11:00:00Z'),
        ('highlevel', $2, 'refreshed', NULL, NULL, '2026-11-21T12:00:00Z')`,
        [await id('loc-a'), await id('loc-b')],
      );
      await q(`INSERT INTO hl_audit_log (event_type, location_id, created_at) VALUES
        ('installation.revoked', 'loc-d', '2026-11-21T00:00:00Z'),
        ('installation.revoked', 'loc-x', '2026-11-12T00:00:00Z')`);
      for (const [incident, severity, status, opened, acked, resolved] of INCIDENTS) {
        await q(
          `INSERT INTO incidents (id, workflow_id, title, severity, status, opened_at, acknowledged_at, resolved_at, postmortem)
           VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8)`,
          [
            incident,
            incident === 'inc-2' ? SCRIPT_TITLE : `Incident ${incident}`,
            severity,
            status,
            opened,
            acked,
            resolved,
            resolved
              ? {
                  rootCause: `cause of ${incident}`,
                  resolution: 'restarted, then fixed',
                  prevention: 'alert earlier',
                  customerImpact: 'none',
                  resolvedBy: 'ops@example.test',
                }
              : null,
          ],
        );
      }
      await q(`INSERT INTO alert_events (rule_id, state, created_at, incident_id) VALUES
        ('rate-limit-hits', 'firing', '2026-11-17T00:00:00Z', NULL),
        ('rate-limit-hits', 'cleared', '2026-11-17T01:00:00Z', NULL),
        ('rate-limit-hits', 'firing', '2026-11-20T00:00:00Z', 'inc-2'),
        ('vendor-latency', 'firing', '2026-11-21T00:00:00Z', NULL),
        ('vendor-latency', 'cleared', '2026-11-23T05:00:00Z', NULL),
        ('vendor-latency', 'firing', '2026-11-12T00:00:00Z', NULL),
        ('vendor-latency', 'cleared', '2026-11-12T00:30:00Z', NULL)`);
      await q(`INSERT INTO backups (id, trigger, status, started_at, dumped_at, size_bytes, verified_at, deleted_at, error) VALUES
        ('b-1', 'schedule', 'verified', '2026-11-17T02:00:00Z', '2026-11-17T02:01:00Z', 1048576, '2026-11-17T02:05:00Z', NULL, NULL),
        ('b-2', 'schedule', 'failed', '2026-11-18T02:00:00Z', NULL, NULL, NULL, NULL, 'pg_dump exited 1'),
        ('b-3', 'manual', 'verified', '2026-11-21T02:00:00Z', '2026-11-21T02:01:00Z', 2097152, '2026-11-21T02:05:00Z', NULL, NULL),
        ('b-4', 'schedule', 'verified', '2026-11-22T02:00:00Z', '2026-11-22T02:01:00Z', 3145728, '2026-11-22T02:05:00Z',
          '2026-11-22T03:00:00Z', NULL),
        ('b-5', 'schedule', 'verified', '2026-11-10T02:00:00Z', '2026-11-10T02:01:00Z', 1000, '2026-11-10T02:05:00Z', NULL, NULL)`);
      for (const [entity, outcome, errorClass, ms, t] of SYNCS) {
        await q(
          `INSERT INTO zoho_sync_logs (entity, record_id, outcome, error_class, duration_ms, created_at)
           VALUES ($1, 1, $2, $3, $4, $5)`,
          [entity, outcome, errorClass, ms, t],
        );
      }
      // A daily run of the week that was UNHEALTHY, and last week's weekly report with its snapshot.
      await q(`INSERT INTO runbook_reports (id, kind, health, period_start, period_end, data, created_at) VALUES
        ('report-daily-bad', 'daily', 'UNHEALTHY', '2026-11-18T09:00:00Z', '2026-11-19T09:00:00Z', '{}', '2026-11-19T09:01:00Z')`);
      const capacity = await env.pool.query<{ bytes: number }>('SELECT pg_database_size(current_database()) AS bytes');
      const previousSnapshot = {
        asOf: '2026-11-16T09:30:00.000Z',
        installations: {
          active: 1,
          avgHoursSinceRefresh: 12,
          tokensExpiring24h: 1,
          tokensNotRefreshed24h: 4,
          notRefreshed: [],
        },
        capacity: {
          databaseBytes: capacity.rows[0]!.bytes - 7 * 1_000_000,
          tables: [{ table: 'incidents', rows: 1, bytes: 8192 }],
        },
        openAlerts: [],
        backupsConfigured: true,
        lastVerifiedBackup: { id: 'b-5', sizeBytes: 1000, takenAt: '2026-11-10T02:01:00.000Z', ageHours: 151.5 },
      };
      await q(
        `INSERT INTO runbook_reports (id, kind, health, period_start, period_end, data) VALUES
          ('report-weekly-prev', 'weekly', 'HEALTHY', '2026-11-09T00:00:00Z', '2026-11-16T00:00:00Z', $1)`,
        [{ figures: { snapshot: previousSnapshot } }],
      );
      f = await weekly.collectWeeklyFigures({ asOf: AS_OF });
      r = report(f);
    });

    it('counts uptime between checks and probe latency p50 / p95 per integration', () => {
      for (const [week, from, to] of [
        [f.thisWeek, WEEK_START, WEEK_END],
        [f.previousWeek, PREV_START, WEEK_START],
      ] as const) {
        for (const integration of ['zoho', 'highlevel']) {
          const u = week.uptime.find((x) => x.integration === integration);
          assert.equal(u?.uptimePct ?? null, expectedUptime(integration, from, to), `${integration} ${week.from}`);
        }
      }
      const zoho = f.thisWeek.uptime.find((u) => u.integration === 'zoho')!;
      assert.equal(zoho.downMinutes, 120);
      assert.equal(zoho.checks, 4);
      const answered = CHECKS.filter(
        (c) => c[0] === 'zoho' && c[1] !== 'down' && Date.parse(c[3]) >= WEEK_START && Date.parse(c[3]) < WEEK_END,
      ).map((c) => c[2]);
      assert.equal(zoho.p50Ms, percentileCont(answered, 0.5));
      assert.equal(zoho.p95Ms, percentileCont(answered, 0.95));
      const uptime = r.sections.find((s) => s.table?.name === 'uptime')!.table!;
      assert.deepEqual(uptime.columns, [
        'integration',
        'uptime % previous week',
        'uptime %',
        'down minutes',
        'checks',
        'p50 ms previous week',
        'p50 ms',
        'p95 ms previous week',
        'p95 ms',
      ]);
      const row = uptime.rows.find((x) => x[0] === 'zoho')!;
      assert.deepEqual(row.slice(1, 3), [100, expectedUptime('zoho', WEEK_START, WEEK_END)]);
      const before = f.previousWeek.uptime.find((u) => u.integration === 'zoho');
      assert.deepEqual(row.slice(3), [120, 4, before?.p50Ms ?? '—', zoho.p50Ms, before?.p95Ms ?? '—', zoho.p95Ms]);
    });

    it('counts installs per day by type, uninstalls, active, hours since refresh and failed refreshes', async () => {
      const perDay = await env.pool.query<{ day: string; user_type: string; n: number }>(
        `SELECT to_char(installed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, user_type, count(*)::int AS n
           FROM hl_installations WHERE installed_at >= $1 AND installed_at < $2 GROUP BY 1, 2`,
        [new Date(WEEK_START), new Date(WEEK_END)],
      );
      for (const d of f.thisWeek.installs.newByDay) {
        const n = (t: string) => perDay.rows.find((x) => x.day === d.day && x.user_type === t)?.n ?? 0;
        assert.deepEqual([d.agency, d.location], [n('Company'), n('Location')], d.day);
      }
      assert.equal(f.thisWeek.installs.newByDay.length, 7);
      assert.equal(f.thisWeek.installs.newTotal, 3);
      assert.equal(f.previousWeek.installs.newTotal, 1);
      assert.equal(f.thisWeek.installs.uninstalls, 1);
      assert.equal(f.previousWeek.installs.uninstalls, 1);
      const hours = await env.pool.query<{ h: number; n: number }>(
        `SELECT avg(extract(epoch FROM $1::timestamptz - coalesce(last_refreshed_at, installed_at)) / 3600)::float8 AS h,
                count(*)::int AS n FROM hl_installations WHERE status = 'active'`,
        [AS_OF],
      );
      assert.equal(f.snapshot.installations.active, hours.rows[0]!.n);
      assert.equal(f.snapshot.installations.avgHoursSinceRefresh, Math.round(hours.rows[0]!.h * 10) / 10);
      assert.deepEqual(
        f.thisWeek.installs.refreshFailed.map((x) => [x.locationId, x.failures, x.lastError]),
        [
          ['loc-a', 2, 'AuthFailed: invalid_grant again'],
          ['loc-b', 1, 'ServerError: HTTP 502'],
        ],
      );
      const table = r.sections.find((s) => s.table?.name === 'installations')!.table!;
      assert.deepEqual(
        table.rows.find((x) => x[0] === 'active installations'),
        ['active installations', 1, 5, '+4'],
      );
    });

    it('counts only the expiring tokens that no refresh will renew before they expire', () => {
      const s = f.snapshot.installations;
      // Five active tokens expire within 24 h; co-1 has no refresh token and is an agency (nothing can mint it);
      // loc-a's last refresh failed; loc-b's last one worked; loc-c is minted from its agency co-3.
      assert.equal(s.tokensExpiring24h, 4);
      assert.deepEqual(
        s.notRefreshed.map((t) => t.reason),
        ['no refresh token and no agency installation to mint one', 'its last refresh failed'],
      );
      assert.equal(f.tokensExpiring24h, 2);
      const summary = r.sections[0]!.table!.rows.find((x) => String(x[0]).startsWith('tokens'));
      assert.deepEqual(summary, ['tokens that will lapse within 24 h', 4, 2, '-2']);
    });

    it('reports incidents with MTTA, MTTR and postmortems, open alerts and the alert resolution rate', () => {
      const inWeek = (t: string | null) => t !== null && Date.parse(t) >= WEEK_START && Date.parse(t) < WEEK_END;
      const mean = (xs: number[]) =>
        xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10 : null;
      const acked = INCIDENTS.filter((i) => inWeek(i[4]));
      const resolved = INCIDENTS.filter((i) => inWeek(i[5]));
      const inc = f.thisWeek.incidents;
      assert.equal(inc.opened, INCIDENTS.filter((i) => inWeek(i[3])).length);
      assert.equal(inc.acknowledged, acked.length);
      assert.equal(inc.resolved, resolved.length);
      assert.equal(inc.mttaMinutes, mean(acked.map((i) => (Date.parse(i[4]!) - Date.parse(i[3])) / 60_000)));
      assert.equal(inc.mttrMinutes, mean(resolved.map((i) => (Date.parse(i[5]!) - Date.parse(i[3])) / 60_000)));
      assert.deepEqual(inc.openedBySeverity, { P1: 1, P2: 1 });
      assert.equal(f.previousWeek.incidents.mttrMinutes, 60);
      assert.deepEqual(
        inc.resolvedList.map((i) => [i.id, i.rootCause, i.resolvedBy, i.minutesToResolve]),
        [['inc-1', 'cause of inc-1', 'ops@example.test', 120]],
      );
      // Three firings this week, one cleared within it (vendor-latency cleared only after the week ended).
      assert.deepEqual(
        [f.thisWeek.alerts.fired, f.thisWeek.alerts.resolvedFirings, f.thisWeek.alerts.resolutionRatePct],
        [3, 1, 33.33],
      );
      assert.equal(f.previousWeek.alerts.resolutionRatePct, 100);
      assert.deepEqual(
        f.snapshot.openAlerts.map((a) => [a.ruleId, a.since, a.firingHours, a.incidentId]),
        [
          [
            'rate-limit-hits',
            at('2026-11-20T00:00:00Z'),
            (Date.parse(AS_OF) - Date.parse('2026-11-20T00:00:00Z')) / H,
            'inc-2',
          ],
        ],
      );
    });

    it('reports the last verified backup, backups by status and restore tests passed', () => {
      assert.equal(f.snapshot.backupsConfigured, true);
      // b-4 is newer but retention removed its file: b-3 is the newest one that can be restored.
      assert.deepEqual(f.snapshot.lastVerifiedBackup, {
        id: 'b-3',
        sizeBytes: 2097152,
        takenAt: at('2026-11-21T02:01:00Z'),
        ageHours: Math.round(((Date.parse(AS_OF) - Date.parse('2026-11-21T02:01:00Z')) / H) * 10) / 10,
      });
      assert.deepEqual(f.thisWeek.backups, { byStatus: { verified: 3, failed: 1 }, restoreTestsPassed: 3 });
      assert.deepEqual(f.previousWeek.backups, { byStatus: { verified: 1 }, restoreTestsPassed: 1 });
      const table = r.sections.find((s) => s.title === 'Backups')!.table!;
      assert.deepEqual(table.rows[0], ['last verified backup', 'b-5', 'b-3', '']);
      assert.deepEqual(
        table.rows.find((x) => x[0] === 'restore tests passed'),
        ['restore tests passed', 1, 3, '+2'],
      );
    });

    it('reports row counts and sizes, growth against last week and days to the size threshold', async () => {
      const cap = f.snapshot.capacity;
      for (const table of ['incidents', 'backups', 'hl_installations']) {
        const counted = await env.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
        const size = await env.pool.query<{ b: number }>(`SELECT pg_total_relation_size($1::regclass) AS b`, [table]);
        const t = cap.tables.find((x) => x.table === table);
        assert.deepEqual([t?.rows, t?.bytes], [counted.rows[0]!.n, size.rows[0]!.b], table);
      }
      const prev = f.previousSnapshot!.capacity.databaseBytes;
      const days = (Date.parse(AS_OF) - Date.parse('2026-11-16T09:30:00Z')) / 86_400_000;
      const perDay = Math.round((cap.databaseBytes - prev) / days);
      assert.equal(f.growth.bytesPerDay, perDay);
      assert.equal(f.growth.thresholdBytes, env.config.reports.capacityThresholdBytes);
      assert.equal(
        f.growth.daysToThreshold,
        Math.round(((env.config.reports.capacityThresholdBytes - cap.databaseBytes) / perDay) * 10) / 10,
      );
      assert.deepEqual(
        f.growth.tables.find((t) => t.table === 'incidents'),
        {
          table: 'incidents',
          rowsChange: 3 - 1,
          bytesChange: cap.tables.find((t) => t.table === 'incidents')!.bytes - 8192,
        },
      );
    });

    it('sums it up with links to what needs attention, escaping every title in HTML', () => {
      const base = env.config.api.publicUrl;
      assert.deepEqual(
        f.attention.map((a) => a.link),
        [`${base}/incidents/inc-2`, `${base}/reports/report-daily-bad`, `${base}/backups/b-2`],
      );
      const summary = r.sections[0]!;
      assert.equal(summary.title, 'Executive summary');
      assert.match(summary.text!, /Overall health: DEGRADED/);
      const row = (label: string) => summary.table!.rows.find((x) => x[0] === label);
      assert.deepEqual(row('MTTA (minutes)'), ['MTTA (minutes)', '—', 45, '—']);
      assert.deepEqual(row('MTTR (minutes)'), ['MTTR (minutes)', 60, 120, '+60']);
      const html = renderHtml(r);
      assert.match(html, /Disk full &lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      assert.doesNotMatch(html, /<script/i);
      assert.ok(html.includes(`<a href="${base}/incidents/inc-2">`));
      // A table of contents whose links reach each section's anchor; charts name their axes and units.
      for (const s of r.sections) {
        const title = s.title.replace(/&/g, '&amp;').replace(/</g, '&lt;');
        assert.ok(html.includes(`<a href="#${slug(s.title)}">${title}</a>`), `contents link to ${s.title}`);
        assert.ok(html.includes(`<h2 id="${slug(s.title)}"`), `anchor of ${s.title}`);
      }
      assert.match(html, /<th[^>]*>integration<\/th><th[^>]*>uptime \(%\)<\/th>/);
      assert.match(renderMarkdown(r), /- \[P2 acknowledged for \d+ h: Disk full <script>/);
    });
  });
});
