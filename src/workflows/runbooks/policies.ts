import type { ActivityOptions } from '@temporalio/workflow';

/** Policies of the runbooks' activities, by kind of work (see also ../policies.ts). */

/** Reading figures for a report: a few aggregate queries; retried briefly. */
export const FIGURES_STEP = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
} as const satisfies ActivityOptions;

/**
 * Work that loops over rows (webhook retries, retention batches): heartbeats so a crashed worker is noticed in
 * 30 s instead of at the end of the timeout.
 */
export const BATCH_STEP = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 5 },
} as const satisfies ActivityOptions;

/** Sending a report or opening an incident: the outbox and dedup keys make retries safe, so retry longer. */
export const HANDOFF_STEP = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
} as const satisfies ActivityOptions;
