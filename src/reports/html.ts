import { escapeHtml } from '../html.js';
import { reportTables, sectionAnchor } from './tables.js';
import type { Report, ReportChart, ReportLink, ReportSection, ReportTable } from './types.js';

const escape = escapeHtml;

const VERDICT_COLOR = { HEALTHY: '#1a7f37', DEGRADED: '#9a6700', UNHEALTHY: '#cf222e' } as const;
const STATUS_COLOR: Record<string, string> = { ok: '#1a7f37', warning: '#9a6700', failed: '#cf222e' };
const SERIES_COLOR = ['#8c959f', '#0969da'] as const;
const TD = 'style="padding:4px 8px;border-bottom:1px solid #d0d7de;font:13px Arial,sans-serif"';
const AXIS = 'style="padding:2px 8px;font:11px Arial,sans-serif;color:#57606a"';
const BAR_WIDTH = 300;

function table(t: ReportTable): string {
  const head = t.columns.map((c) => `<th align="left" ${TD}>${escape(c)}</th>`).join('');
  const rows = t.rows.map((r) => `<tr>${r.map((v) => `<td ${TD}>${escape(v)}</td>`).join('')}</tr>`).join('');
  return `<table cellpadding="0" cellspacing="0" style="border-collapse:collapse;margin:8px 0"><tr>${head}</tr>${rows}</table>`;
}

/**
 * A bar chart made of table cells with inline widths and background colours: it renders in email clients,
 * which run no JavaScript, strip most CSS and block remote images.
 */
export function chart(c: ReportChart): string {
  const max = Math.max(1, ...c.bars.flatMap((b) => b.values));
  const unit = c.unit ? ` ${escape(c.unit)}` : '';
  const bar = (value: number, i: 0 | 1) => {
    const width = Math.max(1, Math.round((value / max) * BAR_WIDTH));
    return (
      `<tr><td style="padding:1px 0"><table cellpadding="0" cellspacing="0"><tr>` +
      `<td width="${width}" height="12" bgcolor="${SERIES_COLOR[i]}" style="background:${SERIES_COLOR[i]};width:${width}px;height:12px;font-size:0;line-height:0">&nbsp;</td>` +
      `<td style="padding-left:6px;font:11px Arial,sans-serif;color:#57606a">${escape(value)}${unit}</td>` +
      `</tr></table></td></tr>`
    );
  };
  const legend = c.series
    .map(
      (s, i) =>
        `<span style="display:inline-block;width:10px;height:10px;background:${SERIES_COLOR[i as 0 | 1]}"></span> ${escape(s)}`,
    )
    .join(' &nbsp; ');
  // Axis titles above, and a scale from 0 to the largest value below: a reader sees what a bar's length means.
  const valueTitle = `${escape(c.valueAxis ?? 'value')}${c.unit ? ` (${escape(c.unit)})` : ''}`;
  const head = `<tr><th align="left" ${AXIS}>${escape(c.labelAxis ?? '')}</th><th align="left" ${AXIS}>${valueTitle}</th></tr>`;
  const scale =
    `<tr><td></td><td ${AXIS}><table cellpadding="0" cellspacing="0" width="${BAR_WIDTH}" style="width:${BAR_WIDTH}px;border-top:1px solid #8c959f"><tr>` +
    `<td align="left" style="font:11px Arial,sans-serif;color:#57606a">0${unit}</td>` +
    `<td align="right" style="font:11px Arial,sans-serif;color:#57606a">${escape(max)}${unit}</td>` +
    `</tr></table></td></tr>`;
  const rows = c.bars
    .map(
      (b) =>
        `<tr><td valign="top" ${TD}>${escape(b.label)}</td><td ${TD}><table cellpadding="0" cellspacing="0">${bar(b.values[0], 0)}${bar(b.values[1], 1)}</table></td></tr>`,
    )
    .join('');
  return `<div class="chart" style="margin:8px 0;font:12px Arial,sans-serif">${legend}</div><table class="chart" cellpadding="0" cellspacing="0" style="border-collapse:collapse">${head}${rows}${scale}</table>`;
}

/** Only web links are made clickable; anything else is shown as text. */
const webUrl = (href: string) => /^https?:\/\//i.test(href);

function links(list: ReportLink[]): string {
  const items = list.map((l) => {
    if (l.method === 'POST' || !webUrl(l.href)) {
      return `<li>${escape(l.text)}: <code>${l.method ? `${l.method} ` : ''}${escape(l.href)}</code></li>`;
    }
    return `<li><a href="${escape(l.href)}">${escape(l.text)}</a></li>`;
  });
  return `<ul style="font:13px Arial,sans-serif;margin:4px 0">${items.join('')}</ul>`;
}

function section(s: ReportSection, csv?: string): string {
  const download = csv
    ? `<p style="font:11px Arial,sans-serif;margin:0 0 8px"><a href="${escape(csv)}">Download this table as CSV</a></p>`
    : '';
  return [
    `<h2 id="${sectionAnchor(s)}" style="font:bold 16px Arial,sans-serif;margin:20px 0 6px">${escape(s.title)}</h2>`,
    s.text ? `<p style="font:13px Arial,sans-serif;margin:4px 0">${escape(s.text)}</p>` : '',
    s.links?.length ? links(s.links) : '',
    s.chart ? chart(s.chart) : '',
    s.table ? table(s.table) + download : '',
  ].join('');
}

/** The table of contents: one link per section to its anchor. */
function contents(report: Report): string {
  if (report.sections.length === 0) return '';
  const items = report.sections.map((s) => `<li><a href="#${sectionAnchor(s)}">${escape(s.title)}</a></li>`);
  return `<p style="font:bold 13px Arial,sans-serif;margin:12px 0 2px">Contents</p><ol style="font:13px Arial,sans-serif;margin:0 0 12px">${items.join('')}</ol>`;
}

/**
 * Renders a report as a self-contained HTML document that reads well in an email client: inline styles only,
 * charts as coloured table cells, no scripts and no external images.
 *
 * `link`, where the report is served (absolute in an email, the path on its own page), is shown at the top, and
 * each table links to its CSV under it.
 *
 * @example
 * const html = renderHtml(report, { link: 'https://ops.example.com/reports/report-weekly-20261123-093000' });
 */
export function renderHtml(report: Report, options: { link?: string } = {}): string {
  const csvOf = new Map(
    options.link
      ? reportTables(report).map((t) => [t.section, `${options.link}?format=csv&table=${encodeURIComponent(t.name)}`])
      : [],
  );
  const color = VERDICT_COLOR[report.health];
  const steps =
    report.steps.length === 0
      ? ''
      : table({
          columns: ['Step', 'Status', 'Duration', 'Summary'],
          rows: report.steps.map((s) => [s.name, s.status, `${s.durationMs} ms`, s.summary]),
        }).replace(/<td ([^>]*)>(ok|warning|failed)<\/td>/g, (_m, attrs: string, st: string) => {
          return `<td ${attrs}><b style="color:${STATUS_COLOR[st]}">${st}</b></td>`;
        });
  return [
    '<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>',
    escape(report.title),
    '</title></head><body style="margin:0;padding:16px;background:#ffffff;color:#1f2328">',
    `<h1 style="font:bold 20px Arial,sans-serif;margin:0 0 4px">${escape(report.title)}</h1>`,
    `<p style="font:13px Arial,sans-serif;margin:0 0 12px">Verdict: <b style="color:${color}">${report.health}</b>`,
    ` · ${escape(report.periodStart)} → ${escape(report.periodEnd)} · report ${escape(report.id)}</p>`,
    options.link
      ? `<p style="font:13px Arial,sans-serif;margin:0 0 12px">Report page (every table also as CSV): <a href="${escape(options.link)}">${escape(options.link)}</a></p>`
      : '',
    contents(report),
    steps,
    ...report.sections.map((s) => section(s, csvOf.get(s.title))),
    '</body></html>',
  ].join('');
}
