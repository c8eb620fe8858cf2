import { SECURITY_EVENT_TYPES } from '../../api/security-events.js';
import type { Pool } from '../../db/pool.js';
import { attentionItems } from '../../reports/attention.js';
import { backupActivity, backupsConfigured, lastVerifiedBackup } from '../../reports/backups.js';
import { capacityGrowth, capacitySnapshot } from '../../reports/capacity.js';
import { alertActivity, incidentActivity, openAlerts } from '../../reports/incidents.js';
import { installActivity, installSnapshot } from '../../reports/installations.js';
import { vendorLatency } from '../../reports/latency.js';
import { uptimeStats } from '../../reports/uptime.js';
import type { ActivityDeps } from '../deps.js';
import { DAY_MS, ENTITIES, apiUsage, countBy, syncStats } from '../../reports/metrics.js';
import type { PeriodFigures, WeeklyFigures, WeeklySnapshot } from '../../reports/figures.js';

/**
 * The weekly report covers whole UTC days (`api_usage` is kept per day): the seven days before the run's day.
 */
export function weekEnd(asOf: string): Date {
  return new Date(`${asOf.slice(0, 10)}T00:00:00.000Z`);
}

/** Failed-authentication and token-abuse patterns worth an operator's look. */
export interface SecurityFlags {
  failedLogins: Array<{ source: string; count: number }>;
  tokenAbuse: Array<{ installationId: number; failedRefreshes: number }>;
}

/** The `security_events` types that count as a failed authentication: every refused request. */
export const FAILED_AUTH_EVENTS = SECURITY_EVENT_TYPES;
/** A source (IP or actor) with at least this many failed authentications in a week is flagged. */
export const FAILED_LOGIN_THRESHOLD = 5;
/** An installation with at least this many failed token refreshes in a week is flagged. */
export const TOKEN_ABUSE_THRESHOLD = 3;
/** The tables the weekly `ANALYZE` refreshes statistics for (the ones written every few minutes). */
export const HOT_TABLES = [
  'zoho_sync_logs',
  'integration_health_logs',
  'api_usage',
  'webhook_deliveries',
  'alert_events',
  'token_refresh_logs',
  'hl_audit_log',
  'security_events',
  'customers',
  'subscriptions',
  'invoices',
  'payments',
];

/** Awaits every promise of an object at once, keeping the keys (plain values pass through). */
async function allOf<T extends Record<string, unknown>>(parts: T): Promise<{ [K in keyof T]: Awaited<T[K]> }> {
  const values = await Promise.all(Object.values(parts));
  return Object.fromEntries(Object.keys(parts).map((k, i) => [k, values[i]])) as { [K in keyof T]: Awaited<T[K]> };
}

/** The snapshot stored by the newest weekly report of an earlier week (its period ends before `periodEnd`). */
async function previousWeeklySnapshot(pool: Pool, periodEnd: Date): Promise<WeeklySnapshot | null> {
  const { rows } = await pool.query<{ snapshot: WeeklySnapshot | null }>(
    `SELECT data->'figures'->'snapshot' AS snapshot FROM runbook_reports
      WHERE kind = 'weekly' AND period_end < $1 ORDER BY period_end DESC, created_at DESC LIMIT 1`,
    [periodEnd],
  );
  return rows[0]?.snapshot ?? null;
}

/**
 * The weekly runbook's figures and chores.
 *
 * @example
 * const { collectWeeklyFigures } = createWeeklyRunbookActivities({ pool });
 */
export function createWeeklyRunbookActivities({ pool, config }: Pick<ActivityDeps, 'pool' | 'config'>) {
  async function period(from: Date, to: Date): Promise<PeriodFigures> {
    const range = [from, to];
    return allOf({
      from: from.toISOString(),
      to: to.toISOString(),
      newInstallations: pool
        .query<{ n: number }>(
          'SELECT count(*)::int AS n FROM hl_installations WHERE installed_at >= $1 AND installed_at < $2',
          range,
        )
        .then((r) => r.rows[0]!.n),
      tokenRefreshes: countBy(
        pool,
        `SELECT outcome AS key, count(*) AS n FROM token_refresh_logs
          WHERE created_at >= $1 AND created_at < $2 GROUP BY outcome`,
        range,
      ),
      // Refused requests (security_events) beside the installation and token trail (hl_audit_log); the two name
      // their types apart (auth.*, webhook.*, oauth.* against installation.*, token.*).
      securityEvents: countBy(
        pool,
        `SELECT type AS key, count(*) AS n FROM (
           SELECT type, created_at FROM security_events
           UNION ALL SELECT event_type, created_at FROM hl_audit_log) e
          WHERE created_at >= $1 AND created_at < $2 GROUP BY type`,
        range,
      ),
      api: apiUsage(pool, from, to),
      sync: syncStats(pool, from, to),
      alertsFired: countBy(
        pool,
        `SELECT rule_id AS key, count(*) AS n FROM alert_events
          WHERE state = 'firing' AND created_at >= $1 AND created_at < $2 GROUP BY rule_id`,
        range,
      ),
      incidentsOpened: countBy(
        pool,
        `SELECT severity AS key, count(*) AS n FROM incidents
          WHERE opened_at >= $1 AND opened_at < $2 GROUP BY severity`,
        range,
      ),
      uptime: uptimeStats(pool, from, to),
      latency: vendorLatency(pool, from, to),
      installs: installActivity(pool, from, to),
      incidents: incidentActivity(pool, from, to),
      alerts: alertActivity(pool, from, to),
      backups: backupActivity(pool, from, to),
    });
  }

  function snapshot(asOf: Date): Promise<WeeklySnapshot> {
    return allOf({
      asOf: asOf.toISOString(),
      installations: installSnapshot(pool, asOf),
      capacity: capacitySnapshot(pool),
      openAlerts: openAlerts(pool, asOf),
      backupsConfigured: backupsConfigured(pool),
      lastVerifiedBackup: lastVerifiedBackup(pool, asOf),
    });
  }

  return {
    /**
     * The figures of the week before `asOf` and of the week before that. API usage is counted by whole UTC days
     * (`api_usage` is daily), so the week is the seven days before `asOf`'s day.
     */
    async collectWeeklyFigures(input: { asOf: string }): Promise<WeeklyFigures> {
      const end = weekEnd(input.asOf);
      const asOf = new Date(input.asOf);
      const start = new Date(end.getTime() - 7 * DAY_MS);
      const [byStatus, now, previousSnapshot, thisWeek, previousWeek, attention] = await Promise.all([
        countBy(pool, 'SELECT status AS key, count(*) AS n FROM hl_installations GROUP BY status', []),
        snapshot(asOf),
        previousWeeklySnapshot(pool, end),
        period(start, end),
        period(new Date(end.getTime() - 14 * DAY_MS), start),
        attentionItems(pool, start, end, asOf, config.api.publicUrl),
      ]);
      const days = previousSnapshot ? (asOf.getTime() - Date.parse(previousSnapshot.asOf)) / DAY_MS : 0;
      return {
        installationsByStatus: byStatus,
        tokensExpiring24h: now.installations.tokensNotRefreshed24h,
        thisWeek,
        previousWeek,
        snapshot: now,
        previousSnapshot,
        growth: capacityGrowth(
          now.capacity,
          previousSnapshot?.capacity,
          previousSnapshot?.asOf ?? null,
          days,
          config.reports.capacityThresholdBytes,
        ),
        attention,
      };
    },

    /** Failed syncs and webhook deliveries last touched more than `olderThanDays` ago become `abandoned`. */
    async abandonStaleFailures(input: { asOf: string; olderThanDays: number }): Promise<Record<string, number>> {
      const out: Record<string, number> = {};
      for (const table of [...ENTITIES, 'webhook_deliveries'] as const) {
        const touched = table === 'webhook_deliveries' ? 'coalesce(next_attempt_at, created_at)' : 'updated_at';
        const stateCol = table === 'webhook_deliveries' ? 'status' : 'sync_state';
        const setUpdated = table === 'webhook_deliveries' ? '' : ', updated_at = now()';
        const { rowCount } = await pool.query(
          `UPDATE ${table} SET ${stateCol} = 'abandoned'${setUpdated}
            WHERE ${stateCol} = 'failed' AND ${touched} < $1::timestamptz - make_interval(days => $2)`,
          [input.asOf, input.olderThanDays],
        );
        out[table] = rowCount ?? 0;
      }
      return out;
    },

    /** Sources with repeated refused requests and installations with repeated failed refreshes, over the week. */
    async flagSecurityPatterns(input: { asOf: string }): Promise<SecurityFlags> {
      const range = [new Date(weekEnd(input.asOf).getTime() - 7 * DAY_MS), weekEnd(input.asOf)];
      const { rows: logins } = await pool.query<{ source: string; count: number }>(
        `SELECT coalesce(source_ip, actor, 'unknown') AS source, count(*)::int AS count FROM security_events
          WHERE type = ANY($3) AND created_at >= $1 AND created_at < $2
          GROUP BY 1 HAVING count(*) >= $4 ORDER BY 2 DESC, 1`,
        [...range, FAILED_AUTH_EVENTS, FAILED_LOGIN_THRESHOLD],
      );
      const { rows: abuse } = await pool.query<{ installationId: number; failedRefreshes: number }>(
        `SELECT installation_id AS "installationId", count(*)::int AS "failedRefreshes" FROM token_refresh_logs
          WHERE outcome = 'failed' AND installation_id IS NOT NULL
            AND created_at >= $1 AND created_at < $2
          GROUP BY 1 HAVING count(*) >= $3 ORDER BY 2 DESC, 1`,
        [...range, TOKEN_ABUSE_THRESHOLD],
      );
      return { failedLogins: logins, tokenAbuse: abuse };
    },

    /** Refreshes the planner's statistics on the hot tables. */
    async analyzeHotTables(): Promise<string[]> {
      for (const table of HOT_TABLES) await pool.query(`ANALYZE ${table}`);
      return HOT_TABLES;
    },
  };
}
