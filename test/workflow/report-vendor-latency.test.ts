/**
 * The weekly report's vendor call latency against `vendor_calls` rows this file inserts: every figure (calls,
 * failures, p50 / p95 per integration and per endpoint group, this week and the previous one, the top error) equals an
 * independent SQL query written here, and the report shows them in JSON, Markdown, HTML and CSV.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createWeeklyRunbookActivities } from '../../src/activities/runbooks/weekly.js';
import type { WeeklyFigures } from '../../src/reports/figures.js';
import { renderHtml } from '../../src/reports/html.js';
import { renderMarkdown } from '../../src/reports/markdown.js';
import { reportTables, toCsv } from '../../src/reports/tables.js';
import type { Report } from '../../src/reports/types.js';
import { startTestEnv, type TestEnv } from '../harness.js';
import { weeklyReportOf } from './runbook-fixtures.js';

const AS_OF = '2026-11-23T09:30:00.000Z';
const WEEK = ['2026-11-16T00:00:00Z', '2026-11-23T00:00:00Z'] as const;
const PREVIOUS = ['2026-11-09T00:00:00Z', '2026-11-16T00:00:00Z'] as const;

/** Calls: endpoint group, duration ms, error class, HTTP status, time. Some fall just outside either week. */
type Call = [string, number, string | null, number | null, string];
const CALLS: Call[] = [
  ['zoho:invoices', 120, null, 200, '2026-11-16T00:00:00Z'], // first instant of the week
  ['zoho:invoices', 340, null, 201, '2026-11-17T10:00:00Z'],
  ['zoho:invoices', 910, 'RateLimited', 429, '2026-11-18T10:00:00Z'],
  ['zoho:invoices', 1500, 'RateLimited', 429, '2026-11-18T10:01:00Z'],
  ['zoho:invoices', 2600, 'ServerError', 503, '2026-11-19T10:00:00Z'],
  ['zoho:customers', 80, null, 200, '2026-11-17T11:00:00Z'],
  ['zoho:customers', 95, 'NotFound', 404, '2026-11-20T11:00:00Z'],
  ['highlevel:contacts', 210, null, 200, '2026-11-17T12:00:00Z'],
  ['highlevel:contacts', 260, null, 200, '2026-11-18T12:00:00Z'],
  ['highlevel:contacts', 30_000, 'NetworkError', null, '2026-11-21T12:00:00Z'],
  ['highlevel:oauth', 150, null, 200, '2026-11-22T23:59:59Z'],
  ['highlevel:oauth', 999, 'ServerError', 500, '2026-11-23T00:00:00Z'], // first instant after the week
  // The previous week: invoices faster, and a group not called this week.
  ['zoho:invoices', 100, null, 200, '2026-11-10T00:00:00Z'],
  ['zoho:invoices', 300, null, 200, '2026-11-12T00:00:00Z'],
  ['zoho:payments', 700, 'ValidationFailed', 400, '2026-11-13T00:00:00Z'],
  ['highlevel:contacts', 400, null, 200, '2026-11-14T00:00:00Z'],
  ['zoho:invoices', 5000, null, 200, '2026-11-08T23:59:59Z'], // before both weeks
];

/** What an independent query says about one integration or endpoint group in [from, to). */
interface Expected {
  calls: number;
  failed: number;
  p50: number | null;
  p95: number | null;
  topError: string | null;
  topErrorCount: number;
}

describe('weekly report: vendor call latency', () => {
  let env: TestEnv;
  let weekly: ReturnType<typeof createWeeklyRunbookActivities>;
  const report = (figures: WeeklyFigures): Report => weeklyReportOf(figures, AS_OF, 'HEALTHY', 'report-weekly-latency');
  const table = (r: Report, name: string) => reportTables(r).find((t) => t.name === name)!;

  /** The figures of `column` = `value` (integration or endpoint_group) in [from, to), straight from the table. */
  async function expected(column: 'integration' | 'endpoint_group', value: string, [from, to]: readonly string[]) {
    const { rows } = await env.pool.query<{ calls: number; failed: number; p50: number | null; p95: number | null }>(
      `SELECT count(*)::int AS calls, count(*) FILTER (WHERE error_class IS NOT NULL)::int AS failed,
              round(percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms))::int AS p50,
              round(percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms))::int AS p95
         FROM vendor_calls WHERE ${column} = $1 AND called_at >= $2 AND called_at < $3`,
      [value, from, to],
    );
    const top = await env.pool.query<{ error_class: string; n: number }>(
      `SELECT error_class, count(*)::int AS n FROM vendor_calls
        WHERE ${column} = $1 AND called_at >= $2 AND called_at < $3 AND error_class IS NOT NULL
        GROUP BY error_class ORDER BY n DESC, error_class LIMIT 1`,
      [value, from, to],
    );
    return { ...rows[0]!, topError: top.rows[0]?.error_class ?? null, topErrorCount: top.rows[0]?.n ?? 0 } as Expected;
  }

  before(async () => {
    env = await startTestEnv({ workers: false });
    weekly = createWeeklyRunbookActivities({ pool: env.pool, config: env.config });
  });
  after(() => env.stop());

  it('renders a week without vendor calls with zeros and "none", never an error or NaN', async () => {
    const f = await weekly.collectWeeklyFigures({ asOf: AS_OF });
    assert.deepEqual(f.thisWeek.latency, { integrations: [], endpoints: [] });
    const r = report(f);
    const perIntegration = table(r, 'vendor-latency');
    // Each compared figure: the previous week's column, then this week's.
    assert.deepEqual(perIntegration.columns, [
      'integration',
      'calls previous week',
      'calls',
      'failed',
      'p50 ms previous week',
      'p50 ms',
      'p95 ms previous week',
      'p95 ms',
      'top error',
      'failed with it',
    ]);
    assert.deepEqual(perIntegration.rows, [
      ['highlevel', 0, 0, 0, '—', '—', '—', '—', 'none', 0],
      ['zoho', 0, 0, 0, '—', '—', '—', '—', 'none', 0],
    ]);
    assert.deepEqual(table(r, 'endpoints').rows, []);
    const section = r.sections.find((s) => s.table?.name === 'vendor-latency')!;
    assert.match(section.text!, /Slowest endpoint groups this week: none\./);
    for (const text of [JSON.stringify(r.sections), renderHtml(r), renderMarkdown(r), toCsv(perIntegration)]) {
      assert.doesNotMatch(text, /NaN|undefined|null|Infinity/);
    }
  });

  describe('a seeded week and the one before', () => {
    let f: WeeklyFigures;
    let r: Report;
    before(async () => {
      for (const [group, ms, errorClass, status, at] of CALLS) {
        await env.pool.query(
          `INSERT INTO vendor_calls (integration, endpoint_group, method, status, duration_ms, error_class, called_at)
           VALUES (split_part($1, ':', 1), $1, 'GET', $2, $3, $4, $5)`,
          [group, status, ms, errorClass, at],
        );
      }
      f = await weekly.collectWeeklyFigures({ asOf: AS_OF });
      r = report(f);
    });

    it('gives p50 / p95, calls, failures and the top error per integration, as percentile_cont says', async () => {
      for (const [period, range] of [
        [f.thisWeek, WEEK],
        [f.previousWeek, PREVIOUS],
      ] as const) {
        for (const integration of ['highlevel', 'zoho']) {
          const e = await expected('integration', integration, range);
          const got = period.latency.integrations.find((i) => i.integration === integration)!;
          assert.deepEqual(
            [got.calls, got.failed, got.p50Ms, got.p95Ms, got.topError, got.topErrorCount],
            [e.calls, e.failed, e.p50, e.p95, e.topError, e.topErrorCount],
            `${integration} ${range[0]}`,
          );
        }
      }
      // Spelled out once, so a wrong boundary in both queries would still show: the oauth call at 00:00 on the 23rd
      // belongs to the next week, the invoice before the 9th to no week.
      const zoho = f.thisWeek.latency.integrations.find((i) => i.integration === 'zoho')!;
      assert.deepEqual([zoho.calls, zoho.failed, zoho.topError, zoho.topErrorCount], [7, 4, 'RateLimited', 2]);
      assert.equal(f.previousWeek.latency.integrations.find((i) => i.integration === 'zoho')!.calls, 3);
    });

    it('gives the same per endpoint group, slowest (p95) first, each with its top error', async () => {
      for (const [period, range] of [
        [f.thisWeek, WEEK],
        [f.previousWeek, PREVIOUS],
      ] as const) {
        const groups = [...new Set(CALLS.map((c) => c[0]))];
        const wanted: Array<[string, Expected]> = [];
        for (const g of groups) {
          const e = await expected('endpoint_group', g, range);
          if (e.calls > 0) wanted.push([g, e]);
        }
        wanted.sort(([ga, a], [gb, b]) => b.p95! - a.p95! || ga.localeCompare(gb));
        assert.deepEqual(
          period.latency.endpoints.map((x) => [x.endpoint, x.calls, x.failed, x.p50Ms, x.p95Ms, x.topError]),
          wanted.map(([g, e]) => [g, e.calls, e.failed, e.p50, e.p95, e.topError]),
          range[0],
        );
      }
    });

    it("shows this week beside the previous one in the report's tables, text and chart", () => {
      const now = (g: string) => f.thisWeek.latency.endpoints.find((x) => x.endpoint === g);
      const then = (g: string) => f.previousWeek.latency.endpoints.find((x) => x.endpoint === g);
      const invoices = table(r, 'endpoints').rows.find((row) => row[0] === 'zoho:invoices')!;
      assert.deepEqual(invoices, [
        'zoho:invoices',
        then('zoho:invoices')!.calls,
        now('zoho:invoices')!.calls,
        now('zoho:invoices')!.failed,
        then('zoho:invoices')!.p50Ms,
        now('zoho:invoices')!.p50Ms,
        then('zoho:invoices')!.p95Ms,
        now('zoho:invoices')!.p95Ms,
        'RateLimited',
        2,
      ]);
      // A group called only last week stays in the table, after this week's, with dashes for this week.
      const rows = table(r, 'endpoints').rows;
      assert.deepEqual(rows.at(-1), ['zoho:payments', 1, 0, 0, 700, '—', 700, '—', 'none', 0]);
      assert.deepEqual(
        rows.slice(0, -1).map((row) => row[0]),
        f.thisWeek.latency.endpoints.map((e) => e.endpoint),
      );
      const zoho = table(r, 'vendor-latency').rows.find((row) => row[0] === 'zoho')!;
      const [a, b] = [f.thisWeek, f.previousWeek].map((p) =>
        p.latency.integrations.find((i) => i.integration === 'zoho')!,
      );
      assert.deepEqual(zoho, [
        'zoho',
        b!.calls,
        a!.calls,
        a!.failed,
        b!.p50Ms,
        a!.p50Ms,
        b!.p95Ms,
        a!.p95Ms,
        'RateLimited',
        2,
      ]);

      const section = r.sections.find((s) => s.table?.name === 'vendor-latency')!;
      const slowest = f.thisWeek.latency.endpoints[0]!;
      assert.equal(slowest.endpoint, 'highlevel:contacts');
      assert.ok(section.text!.includes(`highlevel:contacts p95 ${slowest.p95Ms} ms, top error NetworkError (1)`));
      const bar = section.chart!.bars.find((x) => x.label === 'zoho')!;
      assert.deepEqual(bar.values, [b!.p95Ms, a!.p95Ms]);
    });

    it('renders the figures in Markdown, HTML and CSV', () => {
      const markdown = renderMarkdown(r);
      const html = renderHtml(r);
      assert.ok(markdown.includes('Vendor call latency per endpoint group, slowest first'));
      assert.ok(html.includes('Vendor call latency per integration'));
      for (const name of ['vendor-latency', 'endpoints']) {
        const t = table(r, name);
        const csv = toCsv(t).trim().split('\r\n');
        assert.equal(csv.length, t.rows.length + 1);
        for (const row of t.rows) assert.ok(markdown.includes(`| ${row.join(' | ')} |`), `${name}: ${row.join(', ')}`);
      }
      assert.match(html, /<td[^>]*>zoho:invoices<\/td>/);
    });
  });
});
