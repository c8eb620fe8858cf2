import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { preferredFormat } from '../../src/api/reports/routes.js';
import { buildReport } from '../../src/reports/build.js';
import { chart, renderHtml } from '../../src/reports/html.js';
import { renderMarkdown } from '../../src/reports/markdown.js';
import { reportTables, toCsv } from '../../src/reports/tables.js';

const report = buildReport(
  {
    id: 'report-daily-x',
    kind: 'daily',
    runId: 'r1',
    health: 'DEGRADED',
    periodStart: '2026-11-21T09:00:00.000Z',
    periodEnd: '2026-11-22T09:00:00.000Z',
    steps: [{ name: 'webhook retries', status: 'warning', durationMs: 12, summary: '1 abandoned <b>' }],
    figures: {
      failedSyncs: { customers: { records: 2, attempts: 3 } },
      webhooks: { retried: 1, delivered: 0, failed: 0, abandoned: 1 },
    },
  },
  new Date('2026-11-22T09:00:05Z'),
);

describe('report rendering', () => {
  it('draws bars as table cells whose widths follow the values, scaled to the largest', () => {
    const html = chart({ series: ['previous week', 'this week'], bars: [{ label: 'zoho', values: [50, 100] }] });
    assert.match(html, /width="150"[^>]*bgcolor="#8c959f"/);
    assert.match(html, /width="300"[^>]*bgcolor="#0969da"/);
  });

  it('escapes text in HTML and uses no scripts or external images', () => {
    const html = renderHtml(report);
    assert.match(html, /1 abandoned &lt;b&gt;/);
    assert.doesNotMatch(html, /<script|<img|src=/i);
    assert.match(html, /Failed syncs of the last 24 hours/);
  });

  it('renders Markdown tables of the steps and sections', () => {
    const md = renderMarkdown(report);
    assert.match(md, /^# Daily operations check — 2026-11-22/);
    assert.match(md, /\| webhook retries \| warning \| 12 ms \|/);
    assert.match(md, /\| customers \| 2 \| 3 \|/);
  });

  it('names the axes of a chart and its scale from zero to the largest value, with the unit', () => {
    const html = chart({
      series: ['previous week', 'this week'],
      unit: '%',
      valueAxis: 'uptime',
      labelAxis: 'integration',
      bars: [{ label: 'zoho', values: [99.5, 98] }],
    });
    assert.match(html, /<th[^>]*>integration<\/th><th[^>]*>uptime \(%\)<\/th>/);
    assert.match(html, />0 %<\/td><td align="right"[^>]*>99\.5 %<\/td>/);
  });

  it('writes CSV by RFC 4180: commas, quotes and line breaks quoted, CRLF between records', () => {
    const csv = toCsv({
      columns: ['id', 'message'],
      rows: [
        [1, 'a, "b"\nc'],
        [2, 'plain'],
      ],
    });
    assert.equal(csv, 'id,message\r\n1,"a, ""b""\nc"\r\n2,plain\r\n');
  });

  it('names every table of a report, numbering a name that is taken twice', () => {
    const names = reportTables({
      ...report,
      sections: [
        { title: 'Open alerts', table: { columns: ['a'], rows: [] } },
        { title: 'Open alerts', table: { columns: ['a'], rows: [] } },
        { title: 'x', table: { name: 'uptime', columns: ['a'], rows: [] } },
        { title: 'no table' },
      ],
    }).map((t) => t.name);
    assert.deepEqual(names, ['open-alerts', 'open-alerts-2', 'uptime']);
  });

  it('shows an action link as the request to make, never as a link a mail scanner could follow', () => {
    const withLink = {
      ...report,
      sections: [
        {
          title: 'Failed records to act on',
          links: [
            { text: 'Retry', href: 'http://127.0.0.1:3000/reports/r/retry-failed/invoices', method: 'POST' as const },
          ],
        },
      ],
    };
    assert.match(
      renderHtml(withLink),
      /Retry: <code>POST http:\/\/127\.0\.0\.1:3000\/reports\/r\/retry-failed\/invoices<\/code>/,
    );
    assert.doesNotMatch(renderHtml(withLink), /<a href="http:\/\/127\.0\.0\.1:3000\/reports\/r\/retry/);
    assert.match(
      renderMarkdown(withLink),
      /- Retry: `POST http:\/\/127\.0\.0\.1:3000\/reports\/r\/retry-failed\/invoices`/,
    );
  });

  it('chooses the representation from Accept, JSON by default', () => {
    assert.equal(preferredFormat(undefined), 'json');
    assert.equal(preferredFormat('text/html'), 'html');
    assert.equal(preferredFormat('text/markdown;q=0.9, text/html;q=0.8'), 'markdown');
    assert.equal(preferredFormat('*/*'), 'json');
  });
});
