import type { Report, ReportSection } from './types.js';

const cell = (v: string | number) => String(v).replace(/\|/g, '\\|');

function section(s: ReportSection): string[] {
  const out = [`## ${s.title}`, ''];
  if (s.text) out.push(s.text, '');
  if (s.links?.length) {
    for (const l of s.links) out.push(l.method ? `- ${l.text}: \`${l.method} ${l.href}\`` : `- [${l.text}](${l.href})`);
    out.push('');
  }
  if (s.table) {
    out.push(`| ${s.table.columns.map(cell).join(' | ')} |`, `|${s.table.columns.map(() => ' --- ').join('|')}|`);
    for (const row of s.table.rows) out.push(`| ${row.map(cell).join(' | ')} |`);
    out.push('');
  }
  if (s.chart && !s.table) {
    const [a, b] = s.chart.series;
    const unit = s.chart.unit ? ` (${s.chart.unit})` : '';
    out.push(`| ${cell(s.chart.labelAxis ?? '')} | ${cell(a)}${unit} | ${cell(b)}${unit} |`, '| --- | --- | --- |');
    for (const bar of s.chart.bars) out.push(`| ${cell(bar.label)} | ${bar.values[0]} | ${bar.values[1]} |`);
    out.push('');
  }
  return out;
}

/**
 * Renders a report as Markdown (for chat webhooks, tickets and `Accept: text/markdown`).
 *
 * @example
 * const md = renderMarkdown(report);
 */
export function renderMarkdown(report: Report): string {
  const lines = [
    `# ${report.title}`,
    '',
    `**Verdict: ${report.health}** · period ${report.periodStart} → ${report.periodEnd} · report \`${report.id}\``,
    '',
  ];
  if (report.steps.length > 0) {
    lines.push('| step | status | duration | summary |', '| --- | --- | --- | --- |');
    for (const s of report.steps) lines.push(`| ${s.name} | ${s.status} | ${s.durationMs} ms | ${cell(s.summary)} |`);
    lines.push('');
  }
  for (const s of report.sections) lines.push(...section(s));
  return lines.join('\n');
}

/** A few lines for a chat webhook: verdict, step statuses and where the full report is. */
export function renderSummary(report: Report, link: string): string {
  const steps = report.steps.map((s) => `• ${s.name}: ${s.status} — ${s.summary}`);
  return [`*${report.title}* — ${report.health}`, ...steps, `Full report: ${link}`].join('\n');
}
