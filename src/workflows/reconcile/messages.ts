import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { EntitySummary } from '../../activities/reconcile/reconcile.js';
import type { ZohoEntity } from '../../backfill/entities.js';

/**
 * The reconciliation's input, state, query and updates, in a module of definitions only: the API imports them to
 * call a run by definition without loading the workflow code.
 */

export interface ReconcileInput {
  integration: 'zoho';
  entities: ZohoEntity[];
  repair: 'none' | 'approval' | 'auto';
  /** How long an approval may take before the repair is dropped (default 24 h). */
  approvalTimeoutSeconds?: number;
}

export interface ReconcileStatus {
  status: 'running' | 'awaiting-approval' | 'repairing' | 'completed' | 'failed';
  repair: ReconcileInput['repair'];
  summary: Record<string, EntitySummary>;
  decision?: 'approved' | 'rejected' | 'timed-out';
  decidedBy?: string;
  repairWorkflowId?: string;
}

export const reconcileStatusQuery = defineQuery<ReconcileStatus>('status');
/** Runs the repair of a run waiting for approval. */
export const approveRepairUpdate = defineUpdate<ReconcileStatus, [{ by: string }]>('approve');
/** Drops the repair of a run waiting for approval. */
export const rejectRepairUpdate = defineUpdate<ReconcileStatus, [{ by: string }]>('reject');
