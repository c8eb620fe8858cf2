import { proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { WebhookRetryOptions } from '../../activities/runbooks/daily.js';
import { HANDOFF_STEP } from '../policies.js';
import { type RunStatus, runStatusQuery } from '../run-status.js';
import { stuckWork, webhookRetries } from '../runbooks/deliveries.js';
import { runSteps, showFinal, type StepDefinition } from '../runbooks/steps.js';

const handoff = proxyActivities<Activities>(HANDOFF_STEP);

/** Current state of a delivery check: its steps as they finish. */
export const deliveryChecksStatusQuery = runStatusQuery;

/** Which checks a run makes; both by default. The schedules run each at its own cadence. */
export interface DeliveryChecksInput {
  /** Re-send the failed webhook deliveries that are due (every 15 minutes). */
  webhookRetries?: boolean;
  /** Look for work past its SLA and page it (every 5 minutes). */
  sla?: boolean;
  webhookRetry?: Partial<WebhookRetryOptions>;
}

/**
 * Between attempts a failed delivery waits 15 minutes, then 30, 60, 120 (base × 2^(attempts − 1)), so the
 * 15-minute schedule finds each due in turn; the fifth failed attempt abandons it, as in the daily runbook.
 */
export const DELIVERY_RETRY: WebhookRetryOptions = {
  maxAttempts: 5,
  baseDelaySeconds: 900,
  limit: 200,
  timeoutMs: 10_000,
};
const TITLE = 'Delivery checks';

/**
 * Delivery checks: failed outbound webhook deliveries re-sent with exponential backoff, and work past its SLA
 * (pending syncs, pending deliveries, long runs), which opens (or grows) the `delivery-sla` incident. The daily
 * runbook runs the same steps as a safety net.
 *
 * Queries: `status`. Side effects: deliveries re-sent and updated; an incident on an SLA breach.
 */
export async function deliveryChecks(input: DeliveryChecksInput = {}): Promise<RunStatus> {
  const state: RunStatus = { status: 'running', steps: [] };
  setHandler(deliveryChecksStatusQuery, () => state);
  const asOf = workflowInfo().startTime.toISOString();
  const steps: StepDefinition[] = [];
  if (input.webhookRetries !== false) {
    steps.push(['webhook retries', () => webhookRetries({ ...DELIVERY_RETRY, ...input.webhookRetry })]);
  }
  if (input.sla !== false) steps.push(['stuck work', () => stuckWork(asOf)]);
  await runSteps(TITLE, state, steps);
  const breach = state.steps.find((s) => s.name === 'stuck work' && s.status === 'warning');
  if (breach) {
    await handoff.openIncident({
      title: 'Work past its SLA',
      severity: 'P3',
      description: breach.summary,
      source: 'delivery-checks',
      dedupKey: 'delivery-sla',
    });
  }
  state.status = 'completed';
  showFinal(TITLE, state);
  return state;
}
