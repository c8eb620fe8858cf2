import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { BackfillStatus } from './state.js';

/**
 * The backfill's query and updates, in a module of definitions only: the API imports them to call a run by
 * definition (typed arguments and answers) without loading the workflow code.
 */

/** Who asked for a pause, resume or cancel (kept for the audit trail in the API). */
export interface BackfillControlRequest {
  by?: string;
}

/** Progress, counters, errors by class, estimate: the API's `GET /backfills/:id` answers from this. */
export const backfillStatusQuery = defineQuery<BackfillStatus>('status');
/** Holds the run at the next page boundary; answers once no request is in flight. */
export const pauseBackfillUpdate = defineUpdate<BackfillStatus, [BackfillControlRequest]>('pause');
/** Continues a paused run from its cursor. */
export const resumeBackfillUpdate = defineUpdate<BackfillStatus, [BackfillControlRequest]>('resume');
/** Stops the run at the next page boundary, keeping the progress made; answers with the final state. */
export const cancelBackfillUpdate = defineUpdate<BackfillStatus, [BackfillControlRequest]>('cancel');
