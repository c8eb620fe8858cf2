import type { Report, ReportChart, ReportSection, ReportTable } from './types.js';

const escape = (v: string | number) =>
  String(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const VERDICT_COLOR = { HEALTHY: '#1a7f37', DEGRADED: '#9a6700', UNHEALTHY: '#cf222e' } as const;
const STATUS_COLOR: Record<string, string> = { ok: '#1a7f37', warning: '#9a6700', failed: '#cf222e' };
const SERIES_COLOR = ['#8c959f', '#0969da'] as const;
const TD = 'style="padding:4px 8px;border-bottom:1px solid #d0d7de;font:13px Arial,sans-serif"';

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
    const width = Math.max(1, Math.round((value / max) * 300));
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
  const rows = c.bars
    .map(
      (b) =>
        `<tr><td valign="top" ${TD}>${escape(b.label)}</td><td ${TD}><table cellpadding="0" cellspacing="0">${bar(b.values[0], 0)}${bar(b.values[1], 1)}</table></td></tr>`,
    )
    .join('');
  return `<div class="chart" style="margin:8px 0;font:12px Arial,sans-serif">${legend}</div><table class="chart" cellpadding="0" cellspacing="0" style="border-collapse:collapse">${rows}</table>`;
}

function section(s: ReportSection): string {
  return [
    `<h2 style="font:bold 16px Arial,sans-serif;margin:20px 0 6px">${escape(s.title)}</h2>`,
    s.text ? `<p style="font:13px Arial,sans-serif;margin:4px 0">${escape(s.text)}</p>` : '',
    s.chart ? chart(s.chart) : '',
    s.table ? table(s.table) : '',
  ].join('');
}

/**
 * Renders a report as a self-contained HTML document that reads well in an email client: inline styles only,
 * charts as coloured table cells, no scripts and no external images.
 *
 * @example
 * const html = renderHtml(report);
 */
export function renderHtml(report: Report): string {
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
    '<!doctype html><html><head><meta charset="utf-8"><title>',
    escape(report.title),
    '</title></head><body style="margin:0;padding:16px;background:#ffffff;color:#1f2328">',
    `<h1 style="font:bold 20px Arial,sans-serif;margin:0 0 4px">${escape(report.title)}</h1>`,
    `<p style="font:13px Arial,sans-serif;margin:0 0 12px">Verdict: <b style="color:${color}">${report.health}</b>`,
    ` · ${escape(report.periodStart)} → ${escape(report.periodEnd)} · report ${escape(report.id)}</p>`,
    steps,
    ...report.sections.map(section),
    '</body></html>',
  ].join('');
}
