import type { Pool } from '../db/pool.js';

/**
 * The SQL behind alert rules and runbook reports, in one place so an alert and a report never disagree about what
 * a figure means. Every function reads a half-open period `[from, to)`.
 */

export const ENTITIES = ['customers', 'subscriptions', 'invoices', 'payments'] as const;
export type Entity = (typeof ENTITIES)[number];

/** Daily request budgets of the vendors' plans (specs/README.md): HighLevel per app per location, ZOHO per organization. */
export const PLAN_DAILY_LIMITS: Record<string, number> = { highlevel: 200_000, zoho: 25_000 };

/** Per-minute request limits of the vendors' plans (specs/README.md): ZOHO per organization. */
export const PLAN_MINUTE_LIMITS: Record<string, number> = { zoho: 150 };

/** The share of the plan Opsflow is meant to stay under (the task-queue rate limits are set at 80 %). */
export const QUOTA_ALERT_SHARE = 0.8;

export interface SyncStats {
  entity: string;
  total: number;
  succeeded: number;
  failed: number;
  avgDurationMs: number;
  /** Percent of attempts that did not fail; null when nothing was attempted. */
  successRate: number | null;
}

const pct = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 10000) / 100);

/** Sync attempts per entity from `zoho_sync_logs`. */
export async function syncStats(pool: Pool, from: Date, to: Date): Promise<SyncStats[]> {
  const { rows } = await pool.query<{ entity: string; total: number; failed: number; avg: string | null }>(
    `SELECT entity, count(*)::int AS total, count(*) FILTER (WHERE outcome = 'failed')::int AS failed,
            avg(duration_ms) AS avg
       FROM zoho_sync_logs WHERE created_at >= $1 AND created_at < $2 GROUP BY entity`,
    [from, to],
  );
  return ENTITIES.map((entity) => {
    const r = rows.find((x) => x.entity === entity);
    const total = r?.total ?? 0;
    const failed = r?.failed ?? 0;
    return {
      entity,
      total,
      succeeded: total - failed,
      failed,
      avgDurationMs: r?.avg ? Math.round(Number(r.avg)) : 0,
      successRate: pct(total - failed, total),
    };
  });
}

export interface ApiUsageStats {
  integration: string;
  calls: number;
  errors: number;
  rateLimitHits: number;
  errorRate: number | null;
  /** The busiest day's calls, against the plan's daily limit. */
  peakDayCalls: number;
  planDailyLimit: number | null;
  peakQuotaPct: number | null;
}

/**
 * API calls, errors and rate-limit hits per integration from `api_usage` (kept per UTC day), for the days in
 * `[dayOf(from), dayOf(to))`.
 */
export async function apiUsage(pool: Pool, from: Date, to: Date): Promise<ApiUsageStats[]> {
  const { rows } = await pool.query<{ integration: string; calls: number; errors: number; hits: number; peak: number }>(
    `SELECT integration, sum(calls)::int AS calls, sum(errors)::int AS errors, sum(rate_limit_hits)::int AS hits,
            max(calls)::int AS peak
       FROM api_usage WHERE day >= $1::date AND day < $2::date GROUP BY integration ORDER BY integration`,
    [dayOf(from), dayOf(to)],
  );
  return rows.map((r) => {
    const limit = PLAN_DAILY_LIMITS[r.integration] ?? null;
    return {
      integration: r.integration,
      calls: r.calls,
      errors: r.errors,
      rateLimitHits: r.hits,
      errorRate: pct(r.errors, r.calls),
      peakDayCalls: r.peak,
      planDailyLimit: limit,
      peakQuotaPct: limit ? pct(r.peak, limit) : null,
    };
  });
}

/** Counts rows per key: `SELECT key, count(*)` of any grouping query, as a plain object. */
export async function countBy(pool: Pool, sql: string, params: unknown[]): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ key: string; n: number }>(sql, params);
  return Object.fromEntries(rows.map((r) => [r.key, Number(r.n)]));
}

/** A calendar day `YYYY-MM-DD` in UTC, the key of `api_usage`. */
export const dayOf = (d: Date) => d.toISOString().slice(0, 10);

/** A day in milliseconds. */
export const DAY_MS = 86_400_000;

export { pct };
