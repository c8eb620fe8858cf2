/**
 * Acting on reports over the API: the daily report's failed records and their retry links (and the CLI that does
 * the same), CSV export of report tables, and the HTML page the report email links to.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { FailedRecord } from '../../src/reports/failed-syncs.js';
import type { Report } from '../../src/reports/types.js';
import { eventually } from '../harness.js';
import { mailTo } from '../incident-doubles.js';
import { startRunbookEnv, type RunbookEnv } from '../workflow/runbook-fixtures.js';

const MESSAGE = 'customer_id is invalid, "C-9" unknown\nsecond line';

interface Run {
  status: string;
  reportId?: string;
}
type ReportJson = Report & { tables: Array<{ name: string; csv: string; rows: number }> };

/** An RFC 4180 reader, written here so the test does not trust the writer it checks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === ',') {
      row.push(field);
      field = '';
    } else if (!quoted && c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  return rows;
}

describe('acting on reports', () => {
  let r: RunbookEnv;
  let report: ReportJson;
  let failedIds: number[];
  let expected: Array<{ id: number; cls: string; attempts: number; first: Date; last: Date }>;

  before(async () => {
    r = await startRunbookEnv({ api: true });
    const { pool } = r.env;
    await pool.query(
      `INSERT INTO customers (reference, display_name, email) VALUES ('C-act', 'Act', 'act@example.test')`,
    );
    const inserted = await pool.query<{ id: number }>(
      `INSERT INTO invoices (reference, customer_id, invoice_date, total, sync_state, sync_attempts, last_error_class,
                             last_error, updated_at)
       SELECT 'I-act-' || g, (SELECT id FROM customers WHERE reference = 'C-act'), DATE '2026-11-01', 10 * g, 'failed',
              g, CASE g WHEN 3 THEN 'RateLimited' ELSE 'ValidationError' END, $1, now() - make_interval(hours => g)
         FROM generate_series(1, 3) g RETURNING id`,
      [MESSAGE],
    );
    failedIds = inserted.rows.map((x) => x.id).sort((a, b) => a - b);
    await pool.query(
      `INSERT INTO zoho_sync_logs (entity, record_id, outcome, error_class, message, created_at)
       SELECT 'invoices', id, 'failed', last_error_class, last_error, updated_at - interval '2 hours' FROM invoices
        WHERE reference LIKE 'I-act-%'
       UNION ALL SELECT 'invoices', id, 'failed', last_error_class, last_error, updated_at FROM invoices
        WHERE reference LIKE 'I-act-%'`,
    );
    // As they failed: the run's own retry of its window changes them after the report listed them.
    expected = (
      await pool.query<{ id: number; cls: string; attempts: number; first: Date; last: Date }>(
        `SELECT i.id, i.last_error_class AS cls, i.sync_attempts AS attempts, min(l.created_at) AS first,
              max(l.created_at) AS last
         FROM invoices i JOIN zoho_sync_logs l ON l.entity = 'invoices' AND l.record_id = i.id AND l.outcome = 'failed'
        WHERE i.reference LIKE 'I-act-%' GROUP BY 1 ORDER BY i.updated_at DESC`,
      )
    ).rows;
    const api = r.env.api!;
    const started = await api.request<{ id: string }>('POST', '/runbooks/daily/runs');
    const run = await eventually(async () => {
      const res = await api.request<Run>('GET', `/runbooks/runs/${started.body.id}`);
      return res.body.status === 'completed' ? res.body : undefined;
    }, 60_000);
    report = (await api.request<ReportJson>('GET', `/reports/${run.reportId}`)).body;
  });
  after(() => r.stop());

  it("lists the day's failed invoices with their classes, attempts and first and last failures", async () => {
    const listed = report.figures.failedRecords as FailedRecord[];
    assert.deepEqual(
      listed.map((x) => [x.entity, x.id, x.errorClass, x.lastMessage, x.attempts, x.firstFailureAt, x.lastFailureAt]),
      expected.map((x) => ['invoices', x.id, x.cls, MESSAGE, x.attempts, x.first.toISOString(), x.last.toISOString()]),
    );
    const section = report.sections.find((s) => s.title === 'Failed records to act on')!;
    assert.deepEqual(
      section.links?.map((l) => [l.href, l.method]),
      [[`${r.env.config.api.publicUrl}/reports/${report.id}/retry-failed/invoices`, 'POST']],
    );
  });

  it('starts, through its retry link and the operator token, a backfill that retries exactly those records', async () => {
    const api = r.env.api!;
    const link = report.sections.find((s) => s.title === 'Failed records to act on')!.links![0]!;
    const path = link.href.slice(r.env.config.api.publicUrl.length);
    const viewer = await api.request('POST', path, { token: api.viewerToken });
    assert.equal(viewer.status, 403);
    const started = await api.request<{ id: string; records: number[] }>('POST', path);
    assert.equal(started.status, 201);
    assert.deepEqual(
      [...started.body.records].sort((a, b) => a - b),
      failedIds,
    );
    const done = await eventually(async () => {
      const res = await api.request<{ status: string; mode: string; progress: { processed: number } }>(
        'GET',
        `/backfills/${started.body.id}`,
      );
      return ['completed', 'failed'].includes(res.body.status) ? res.body : undefined;
    }, 60_000);
    assert.equal(done.mode, 'failed');
    assert.equal(done.progress.processed, 3);
    const tried = await r.env.pool.query<{ record_id: number }>(
      `SELECT DISTINCT record_id FROM zoho_sync_logs WHERE run_id = $1 ORDER BY 1`,
      [started.body.id],
    );
    assert.deepEqual(
      tried.rows.map((x) => x.record_id),
      failedIds,
    );
    const none = await api.request<{ error: { message: string } }>(
      'POST',
      `/reports/${report.id}/retry-failed/payments`,
    );
    assert.equal(none.status, 404);
    assert.match(none.body.error.message, /^entity: /);
  });

  it('does the same from the CLI: backfill retry-failed --entity invoices', async () => {
    const api = r.env.api!;
    const { stdout } = await promisify(execFile)(
      'npx',
      ['tsx', 'src/main/cli.ts', 'backfill', 'retry-failed', '--entity', 'invoices', '--report', report.id],
      {
        cwd: new URL('../../', import.meta.url).pathname,
        env: { ...process.env, OPSFLOW_API_URL: api.url, OPSFLOW_API_TOKEN: api.operatorToken },
      },
    );
    const id = /^started (\S+): retrying 3 failed invoices/.exec(stdout)?.[1];
    assert.ok(id, stdout);
    const state = await api.request<{ mode: string }>('GET', `/backfills/${id}`);
    assert.equal(state.body.mode, 'failed');
  });

  it('exports each table as RFC 4180 CSV equal to the JSON table; an unknown table is a 404 naming table', async () => {
    const api = r.env.api!;
    const entry = report.tables.find((t) => t.name === 'failed-records')!;
    assert.equal(entry.csv, `/reports/${report.id}?format=csv&table=failed-records`);
    const csv = await api.request<string>('GET', entry.csv);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assert.ok(csv.body.includes(`"customer_id is invalid, ""C-9"" unknown\nsecond line"`), 'quoted comma and newline');
    const table = report.sections.find((s) => s.table?.name === 'failed-records')!.table!;
    assert.deepEqual(parseCsv(csv.body), [table.columns, ...table.rows.map((row) => row.map(String))]);
    for (const t of report.tables) {
      const res = await api.request<string>('GET', t.csv);
      assert.equal(parseCsv(res.body).length, t.rows + 1, t.name);
    }
    const unknown = await api.request<{ error: { message: string; details: { field: string } } }>(
      'GET',
      `/reports/${report.id}?format=csv&table=nope`,
    );
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.error.message, /^table: /);
    assert.equal(unknown.body.error.details.field, 'query.table');
    const missing = await api.request<{ error: { message: string } }>('GET', `/reports/${report.id}?format=csv`);
    assert.equal(missing.status, 400);
    assert.match(missing.body.error.message, /query\.table/);
  });

  it('serves a page with contents, anchors and CSV links, and the report email links to it', async () => {
    const api = r.env.api!;
    const page = await api.request<string>('GET', `/reports/${report.id}`, { headers: { accept: 'text/html' } });
    assert.match(page.body, /Contents<\/p><ol/);
    assert.match(page.body, /<a href="#failed-records-to-act-on">Failed records to act on<\/a>/);
    assert.match(page.body, /<h2 id="failed-records-to-act-on"/);
    assert.ok(page.body.includes(`href="/reports/${report.id}?format=csv&amp;table=failed-records"`));
    const link = `${r.env.config.api.publicUrl}/reports/${report.id}`;
    const mail = await eventually(async () => (await mailTo(r.opsEmail)).find((m) => m.html.includes(report.id)));
    assert.ok(mail.html.includes(`<a href="${link}?link=`), 'the email links to the report page');
  });

  it("opens the report page from the email's signed link without a token; a tampered link is refused", async () => {
    const api = r.env.api!;
    const browse = (url: string) =>
      fetch(url.replace(r.env.config.api.publicUrl, api.url), {
        headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
      });
    const mail = (await mailTo(r.opsEmail)).find((m) => m.html.includes(report.id))!;
    const signed = new RegExp(`href="(http[^"]*/reports/${report.id}\\?link=[\\w.-]+)"`).exec(mail.html)?.[1];
    assert.ok(signed, 'the email has a signed link to the page');
    const token = new URL(signed).searchParams.get('link')!;
    assert.ok(mail.text.includes(signed), 'the text part carries the same link');

    const page = await browse(signed);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /Contents<\/p><ol/);
    // The page's CSV links carry the link too, and open without a token.
    const csv = `/reports/${report.id}?link=${token}&amp;format=csv&amp;table=failed-records`;
    assert.ok(html.includes(`href="${csv}"`), 'the CSV links keep the signed link');
    const table = await browse(`${api.url}${csv.replaceAll('&amp;', '&')}`);
    assert.equal(table.status, 200);
    assert.match(table.headers.get('content-type') ?? '', /text\/csv/);
    const emailCsv = mail.html.includes(`${r.env.config.api.publicUrl}${csv}`);
    assert.ok(emailCsv, "the email's CSV links are signed as well");

    const noToken = await browse(`${api.url}/reports/${report.id}`);
    assert.equal(noToken.status, 401);
    const flipped = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    const tampered = await browse(`${api.url}/reports/${report.id}?link=${flipped}`);
    assert.equal(tampered.status, 403);
    assert.match(tampered.headers.get('content-type') ?? '', /text\/html/);
    // A link signed for one report opens no other.
    assert.equal((await browse(`${api.url}/reports/${report.id}-other?link=${token}`)).status, 403);
    // Read-only: it authorises no change.
    const retry = await fetch(`${api.url}/reports/${report.id}/retry-failed/invoices?link=${token}`, {
      method: 'POST',
    });
    assert.equal(retry.status, 401);
  });
});
