import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { HANDOFF_STEP } from '../policies.js';

const handoff = proxyActivities<Activities>(HANDOFF_STEP);

/**
 * Sends a stored runbook report to the operations level: the full HTML report (charts included) by email and a
 * short summary to the chat webhooks, through the notification outbox (so a retry never sends a copy twice).
 * Started by each runbook once its report is stored.
 *
 * Returns the number of copies sent or already sent.
 */
export async function deliverReport(input: { reportId: string }): Promise<number> {
  setCurrentDetails(`Sending report ${input.reportId}`);
  const message = await handoff.renderReportMessage(input);
  const deliveries = await handoff.sendNotification(message);
  const sent = deliveries.filter((d) => d.status !== 'failed').length;
  setCurrentDetails(`Report ${input.reportId}: ${sent} of ${deliveries.length} copies sent`);
  return sent;
}
