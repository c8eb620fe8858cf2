import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { OpsKind } from '../../temporal/search-attributes.js';
import type { refreshExpiringTokens } from '../integrations/refresh-expiring-tokens.js';
import { FIGURES_STEP } from '../policies.js';
import type { StepResult } from './steps.js';

const figures = proxyActivities<Activities>(FIGURES_STEP);

/**
 * The daily runbook's token step: refreshes the tokens expiring within 24 h through the `refreshExpiringTokens`
 * workflow (a child, so its progress is visible on its own in the Web UI), then reads what is still expiring.
 */
export async function refreshTokensStep(asOf: string): Promise<StepResult> {
  const refresh = await executeChild<typeof refreshExpiringTokens>('refreshExpiringTokens', {
    workflowId: `${workflowInfo().workflowId}-tokens`,
    args: [{ withinSeconds: 24 * 3600 }],
    staticSummary: 'Daily runbook: refresh tokens expiring within 24 h',
    typedSearchAttributes: [{ key: OpsKind, value: 'token-refresh' }],
  });
  const after = await figures.countExpiringTokens({ asOf });
  return {
    status:
      refresh.failed.length > 0 || refresh.zoho?.outcome === 'failed'
        ? 'failed'
        : after.failedRefreshes24h > 0
          ? 'warning'
          : 'ok',
    summary:
      `${refresh.refreshed} refreshed, ${refresh.skipped} already fresh, ${refresh.failed.length} failed of ${refresh.due} due` +
      `; ${after.failedRefreshes24h} failed refresh(es) in the last 24 h`,
    data: {
      due: refresh.due,
      refreshed: refresh.refreshed,
      skipped: refresh.skipped,
      failed: refresh.failed,
      // The shared ZOHO access token's proactive refresh (absent for runs from before that step).
      zoho: refresh.zoho,
      ...after,
    },
  };
}
