import { buildReport, type ReportInput } from '../../reports/build.js';
import { renderHtml } from '../../reports/html.js';
import { renderSummary } from '../../reports/markdown.js';
import { loadReport, saveReport } from '../../reports/store.js';
import type { ActivityDeps } from '../deps.js';

/** A report as a message for the notification outbox: HTML email, chat summary, link to the API. */
export interface ReportMessage {
  idempotencyKey: string;
  subject: string;
  text: string;
  html: string;
  link: string;
  severity: string;
  /** The notifier signs the links to the report page per message, so they open without an API token. */
  report: { id: string };
  level: 1;
  channels: Array<'email' | 'webhook'>;
}

/**
 * Storing runbook reports and turning them into messages.
 *
 * @example
 * const { storeReport } = createReportActivities({ pool, config });
 */
export function createReportActivities({ pool, config }: Pick<ActivityDeps, 'pool' | 'config'>) {
  async function messageOf(reportId: string): Promise<ReportMessage> {
    const report = await loadReport(pool, reportId);
    if (!report) throw new Error(`no report ${reportId}`);
    const link = `${config.api.publicUrl}/reports/${encodeURIComponent(report.id)}`;
    return {
      idempotencyKey: `report/${report.id}`,
      subject: `[${report.health}] ${report.title}`,
      text: renderSummary(report, link),
      html: renderHtml(report, { link }),
      link,
      severity: report.health,
      report: { id: report.id },
      level: 1,
      channels: ['email', 'webhook'],
    };
  }

  return {
    /** Builds the report's sections from the figures and stores it once per run; answers its id. */
    async storeReport(input: ReportInput): Promise<string> {
      return saveReport(pool, buildReport(input, new Date(), config.api.publicUrl));
    },

    /** The stored report as an email (full HTML with charts) and a webhook summary, to the operations level. */
    async renderReportMessage(input: { reportId: string }): Promise<ReportMessage> {
      return messageOf(input.reportId);
    },
  };
}
