import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { FIGURES_STEP } from './policies.js';
import type { StepResult } from './steps.js';

const figures = proxyActivities<Activities>(FIGURES_STEP);

/**
 * The daily runbook's token step: tokens expiring within 24 h. The refresh itself is the `refreshExpiringTokens`
 * workflow, started here as a child once it is registered; until then the step reports what it would refresh.
 */
export async function refreshTokensStep(asOf: string): Promise<StepResult> {
  const t = await figures.countExpiringTokens({ asOf });
  return {
    status: t.failedRefreshes24h > 0 ? 'warning' : 'ok',
    summary: `${t.expiring} token(s) expire within 24 h; ${t.failedRefreshes24h} failed refresh(es) in the last 24 h`,
    data: t,
  };
}
