import { defineQuery } from '@temporalio/workflow';
import type { HealthStatus } from '../activities/integrations/health.js';

/** One step of a runbook or monitor run, as the API and reports show it. */
export interface RunStep {
  name: string;
  status: 'pending' | 'running' | 'ok' | 'warning' | 'failed';
  durationMs: number;
  summary: string;
}

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
