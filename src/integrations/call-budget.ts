import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../logger.js';
import { ErrorClass, IntegrationError } from './errors.js';

/** Longest a call waits in-process for its slot; beyond it the caller gets a RateLimited error to retry later. */
export const DEFAULT_MAX_WAIT_MS = 5_000;

/** A vendor's per-minute call budget, shared by every worker, run and runbook that calls it. */
export interface CallBudget {
  /** Calls per minute this budget spaces calls at. */
  readonly callsPerMinute: number;
  /**
   * Waits until this caller's call may go out, and counts it in today's `api_usage` row and in the
   * `api_usage_minutes` row of the minute its slot is in (same statement, so the booking costs no extra round
   * trip); answers whether it was counted. Throws a `RateLimited` IntegrationError (with `retryAfterMs`) when other
   * callers have booked more than `maxWaitMs` ahead, so an activity hands the wait to its retry policy instead of
   * outliving its heartbeat timeout.
   */
  acquire(): Promise<{ counted: boolean }>;
}

/**
 * The organization-wide call budget of a vendor API, kept in PostgreSQL (`api_call_budgets`) so every worker
 * process shares it. Each call books the next free slot in one statement and sleeps until it: calls of all
 * runs and workers together go out at most one per `60 s / callsPerMinute`, so any minute holds at most
 * `callsPerMinute + 1` calls whatever the vendor's window alignment (a generic cell rate algorithm without burst).
 *
 * Why here and not in a task-queue limit: one backfill activity makes many calls, so activity starts per second
 * do not bound calls. Why in PostgreSQL: every worker already shares it and a booking is one round trip, so no
 * other service (Redis) is needed; an in-process limiter would not see the other workers. Window-based limiter
 * libraries allow twice the budget across a window boundary, which would break the vendor's own per-minute
 * window; spacing does not.
 *
 * If the database cannot be reached the call goes ahead unbooked (logged): the vendor's 429 handling remains
 * the backstop, and a database outage stops the work that needs the budget anyway.
 *
 * @example
 * const budget = createCallBudget({ pool, log, integration: 'zoho', scope: organizationId, callsPerMinute: 120 });
 * await budget.acquire();
 * await fetch(url);
 */
export function createCallBudget(options: {
  pool: Pool;
  log: Logger;
  integration: 'zoho' | 'highlevel';
  scope: string;
  callsPerMinute: number;
  maxWaitMs?: number;
}): CallBudget {
  const { pool, log, integration, scope, callsPerMinute } = options;
  const intervalMs = 60_000 / callsPerMinute;
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  return {
    callsPerMinute,
    async acquire() {
      let booked: { wait_ms: number | null; queue_ms: number } | undefined;
      try {
        const { rows } = await pool.query<{ wait_ms: number | null; queue_ms: number }>(
          `WITH booking AS (
           INSERT INTO api_call_budgets AS b (integration, scope, next_free_at, reserved_slot_at)
           VALUES ($1, $2, clock_timestamp() + $3::float8 * interval '1 millisecond', clock_timestamp())
           ON CONFLICT (integration, scope) DO UPDATE SET
             reserved_slot_at = CASE WHEN b.next_free_at <= clock_timestamp() + $4::float8 * interval '1 millisecond'
               THEN greatest(b.next_free_at, clock_timestamp()) END,
             next_free_at = CASE WHEN b.next_free_at <= clock_timestamp() + $4::float8 * interval '1 millisecond'
               THEN greatest(b.next_free_at, clock_timestamp()) + $3::float8 * interval '1 millisecond'
               ELSE b.next_free_at END
           RETURNING reserved_slot_at, next_free_at
         ), counted AS (
           INSERT INTO api_usage AS u (integration, day, calls)
           SELECT $1, (now() AT TIME ZONE 'UTC')::date, 1 FROM booking WHERE reserved_slot_at IS NOT NULL
           ON CONFLICT (integration, day) DO UPDATE SET calls = u.calls + 1
         ), counted_minute AS (
           -- In the minute the call goes out, so a minute never holds more than the budget.
           INSERT INTO api_usage_minutes AS m (integration, minute, calls)
           SELECT $1, date_trunc('minute', reserved_slot_at), 1 FROM booking WHERE reserved_slot_at IS NOT NULL
           ON CONFLICT (integration, minute) DO UPDATE SET calls = m.calls + 1
         )
         SELECT 1000 * extract(epoch FROM reserved_slot_at - clock_timestamp())::float8 AS wait_ms,
                1000 * extract(epoch FROM next_free_at - clock_timestamp())::float8 AS queue_ms
           FROM booking`,
          [integration, scope, intervalMs, maxWaitMs],
        );
        booked = rows[0];
      } catch (err) {
        log.warn({ err: (err as Error).message, integration }, 'call budget unavailable: calling without a booking');
        return { counted: false };
      }
      if (!booked) return { counted: false };
      if (booked.wait_ms === null) {
        const waitMs = Math.max(1_000, Math.ceil(booked.queue_ms - maxWaitMs));
        throw new IntegrationError({
          integration,
          errorClass: ErrorClass.RateLimited,
          retryAfterMs: waitMs,
          message: `the ${callsPerMinute}/min call budget is booked ${Math.round(booked.queue_ms / 1000)} s ahead by other work; retry in ${Math.round(waitMs / 1000)} s`,
        });
      }
      if (booked.wait_ms > 0) await sleep(booked.wait_ms);
      return { counted: true };
    },
  };
}
