import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Activity policies, chosen per kind of work. Each group of steps that shares a policy proxies its activities
 * once with one of these.
 */

/** Quick reads and writes against our own database: retried briefly, then the workflow decides. */
export const DATABASE_STEP = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
} as const satisfies ActivityOptions;

/**
 * Notifications: the outbox makes retries safe, so retry a mail server or webhook outage for a few minutes;
 * after that the workflow records the failure and escalation goes on.
 */
export const NOTIFY_STEP = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 8 },
} as const satisfies ActivityOptions;

/** Health probes report failure as a result, so a retry only covers a crashed worker. */
export const PROBE_STEP = {
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '5 seconds', maximumAttempts: 3 },
} as const satisfies ActivityOptions;
