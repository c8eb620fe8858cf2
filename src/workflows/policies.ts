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

/**
 * `pg_dump` and the restore test: minutes to hours on a large database and silent while they work, so the
 * activity heartbeats every 10 s and a crashed worker is noticed within a minute. Retried twice, minutes apart
 * (a database restart, a disk freed); no usable `pg_dump` is non-retryable (`PgToolsUnavailable`) and goes
 * straight to the incident, which says what to install.
 */
export const BACKUP_STEP = {
  startToCloseTimeout: '4 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 minute', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 3 },
} as const satisfies ActivityOptions;
