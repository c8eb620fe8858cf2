import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { WebhookRetryOptions } from '../../activities/runbooks/daily.js';
import { BATCH_STEP, FIGURES_STEP } from '../policies.js';
import type { StepResult } from './steps.js';

const figures = proxyActivities<Activities>(FIGURES_STEP);
const batch = proxyActivities<Activities>(BATCH_STEP);

/**
 * Outbound deliveries' steps, shared by the daily runbook (its safety net) and the delivery checks that run them
 * on their own schedules: failed webhook deliveries re-sent with backoff, and work past its SLA.
 */

/** Re-sends the failed webhook deliveries that are due; one that reaches the attempt limit is abandoned. */
export async function webhookRetries(
  options: WebhookRetryOptions,
): Promise<StepResult<Awaited<ReturnType<Activities['retryFailedWebhookDeliveries']>>>> {
  const r = await batch.retryFailedWebhookDeliveries(options);
  return {
    status: r.abandoned > 0 ? 'warning' : 'ok',
    summary:
      r.retried === 0
        ? 'no failed webhook deliveries due'
        : `${r.retried} retried: ${r.delivered} delivered, ${r.failed} failed (will back off), ${r.abandoned} abandoned`,
    data: r,
  };
}

/** Work past its SLA: pending syncs over 24 h, pending webhook deliveries over 1 h, runs going over 6 h. */
export async function stuckWork(asOf: string): Promise<StepResult<Awaited<ReturnType<Activities['findStuckWork']>>>> {
  const s = await figures.findStuckWork({ asOf });
  const syncs = Object.values(s.pendingSyncs).reduce((a, b) => a + b, 0);
  const total = syncs + s.pendingWebhooks + s.runningWorkflows.length;
  return {
    status: total > 0 ? 'warning' : 'ok',
    summary:
      total === 0
        ? 'nothing past its SLA'
        : `${syncs} sync(s) pending > 24 h, ${s.pendingWebhooks} webhook(s) pending > 1 h, ${s.runningWorkflows.length} run(s) > 6 h`,
    data: s,
  };
}
