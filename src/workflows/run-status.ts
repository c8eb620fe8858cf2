import { defineQuery } from '@temporalio/workflow';
import type { HealthStatus } from '../activities/integrations/health.js';
import type { RunStep } from '../reports/types.js';

export type { RunStep } from '../reports/types.js';

/** The `status` query answer of monitor and runbook runs. */
export interface RunStatus {
  status: 'running' | 'completed' | 'failed';
  health?: HealthStatus | 'HEALTHY' | 'DEGRADED' | 'UNHEALTHY';
  steps: RunStep[];
  reportId?: string;
}

/**
 * The `status` query of every monitor and runbook run (one definition: they answer the same shape), importable
 * by the API without loading workflow code.
 */
export const runStatusQuery = defineQuery<RunStatus>('status');
