import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';

/**
 * Activity policies, chosen per kind of work. Each group of steps that shares a policy proxies its activities
 * once with one of these.
 */

type Duration = NonNullable<ActivityOptions['startToCloseTimeout']>;

/** At most `perAttempt` for each attempt, retried by `retry`; `more` adds options such as a heartbeat timeout. */
export const step = (perAttempt: Duration, retry: RetryPolicy, more: ActivityOptions = {}) =>
  ({ startToCloseTimeout: perAttempt, retry, ...more }) satisfies ActivityOptions;

/** `attempts` tries in all: the first retry after `first`, each wait twice the last, none longer than `cap`. */
export const doubling = (first: Duration, cap: Duration, attempts: number): RetryPolicy => ({
  initialInterval: first,
  backoffCoefficient: 2,
  maximumInterval: cap,
  maximumAttempts: attempts,
});

/** Quick reads and writes against our own database: retried briefly, then the workflow decides. */
export const DATABASE_STEP = step('30 seconds', doubling('1 second', '30 seconds', 10));

/**
 * Notifications: the outbox makes retries safe, so retry a mail server or webhook outage for a few minutes;
 * after that the workflow records the failure and escalation goes on.
 */
export const NOTIFY_STEP = step('30 seconds', doubling('1 second', '30 seconds', 8));

/** Health probes report failure as a result, so a retry only covers a crashed worker. */
export const PROBE_STEP = step('20 seconds', doubling('1 second', '5 seconds', 3));

/** Reading figures for a report: a few aggregate queries; retried briefly. */
export const FIGURES_STEP = step('2 minutes', doubling('2 seconds', '1 minute', 5));

/**
 * Work that loops over rows (webhook retries, retention batches): heartbeats so a crashed worker is noticed in
 * 30 s instead of at the end of the timeout.
 */
export const BATCH_STEP = step('10 minutes', doubling('5 seconds', '2 minutes', 5), { heartbeatTimeout: '30 seconds' });

/** Sending a report or opening an incident: the outbox and dedup keys make retries safe, so retry longer. */
export const HANDOFF_STEP = step('1 minute', doubling('2 seconds', '1 minute', 10));

/**
 * `pg_dump` and the restore test: minutes to hours on a large database and silent while they work, so the
 * activity heartbeats every 10 s and a crashed worker is noticed within a minute. Retried twice, minutes apart
 * (a database restart, a disk freed); no usable `pg_dump` is non-retryable (`PgToolsUnavailable`) and goes
 * straight to the incident, which says what to install.
 */
export const BACKUP_STEP = step('4 hours', doubling('1 minute', '10 minutes', 3), { heartbeatTimeout: '1 minute' });
