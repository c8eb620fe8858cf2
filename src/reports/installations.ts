import type { Pool } from '../db/pool.js';

/** HighLevel installs and uninstalls over a period (`hl_installations`, `hl_audit_log`, `token_refresh_logs`). */
export interface InstallActivity {
  /** New installations per UTC day of the period, agency (Company) and location installs apart. */
  newByDay: Array<{ day: string; agency: number; location: number }>;
  newTotal: number;
  /** Installations revoked in the period (HighLevel's UNINSTALL webhook, `installation.revoked`). */
  uninstalls: number;
  /** Installations with at least one failed token refresh in the period, most failures first. */
  refreshFailed: Array<{ installationId: number; locationId: string | null; failures: number; lastError: string }>;
}

/** The state of the installations at one moment. */
export interface InstallSnapshot {
  active: number;
  /** Mean hours since each active installation's last token refresh (its install when never refreshed). */
  avgHoursSinceRefresh: number | null;
  /** Active installations whose access token expires within 24 h, and of those the ones no refresh will save. */
  tokensExpiring24h: number;
  tokensNotRefreshed24h: number;
  notRefreshed: Array<{ installationId: number; locationId: string | null; expiresAt: string; reason: string }>;
}

const DAY = 86_400_000;

/**
 * New installs per day by type, uninstalls and installations whose token refresh failed, over `[from, to)`.
 *
 * @example
 * const installs = await installActivity(pool, weekStart, weekEnd);
 */
export async function installActivity(pool: Pool, from: Date, to: Date): Promise<InstallActivity> {
  const range = [from, to];
  const [perDay, uninstalls, failed] = await Promise.all([
    pool.query<{ day: string; agency: number; location: number }>(
      `SELECT to_char(installed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
              count(*) FILTER (WHERE user_type = 'Company')::int AS agency,
              count(*) FILTER (WHERE user_type = 'Location')::int AS location
         FROM hl_installations WHERE installed_at >= $1 AND installed_at < $2 GROUP BY 1`,
      range,
    ),
    pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM hl_audit_log
        WHERE event_type = 'installation.revoked' AND created_at >= $1 AND created_at < $2`,
      range,
    ),
    pool.query<InstallActivity['refreshFailed'][number]>(
      `SELECT l.installation_id AS "installationId", i.location_id AS "locationId", count(*)::int AS failures,
              coalesce((array_agg(coalesce(l.error_class || ': ', '') || coalesce(l.message, '')
                                  ORDER BY l.created_at DESC))[1], '') AS "lastError"
         FROM token_refresh_logs l LEFT JOIN hl_installations i ON i.id = l.installation_id
        WHERE l.outcome = 'failed' AND l.installation_id IS NOT NULL AND l.created_at >= $1 AND l.created_at < $2
        GROUP BY 1, 2 ORDER BY 3 DESC, 1`,
      range,
    ),
  ]);
  const newByDay = [];
  for (let t = from.getTime(); t < to.getTime(); t += DAY) {
    const day = new Date(t).toISOString().slice(0, 10);
    const r = perDay.rows.find((x) => x.day === day);
    newByDay.push({ day, agency: r?.agency ?? 0, location: r?.location ?? 0 });
  }
  return {
    newByDay,
    newTotal: newByDay.reduce((n, d) => n + d.agency + d.location, 0),
    uninstalls: uninstalls.rows[0]!.n,
    refreshFailed: failed.rows,
  };
}

/**
 * Why an expiring token will not be refreshed before it expires, in the words the report shows; the hourly
 * refresh (`listExpiringInstallations`) takes every other active installation two hours ahead.
 */
const NOT_REFRESHED_REASON = `CASE
    WHEN i.refresh_token_enc IS NULL AND NOT (i.user_type = 'Location' AND EXISTS (
      SELECT 1 FROM hl_installations c WHERE c.company_id = i.company_id AND c.user_type = 'Company'
         AND c.status = 'active' AND c.refresh_token_enc IS NOT NULL))
      THEN 'no refresh token and no agency installation to mint one'
    WHEN (SELECT l.outcome FROM token_refresh_logs l WHERE l.installation_id = i.id
           ORDER BY l.created_at DESC, l.id DESC LIMIT 1) = 'failed'
      THEN 'its last refresh failed'
  END`;

/**
 * The installations as they stand at `asOf`: active count, mean hours since the last refresh, and tokens expiring
 * within 24 h — all of them, and those that will not be refreshed first: no way to refresh them, or a refresh
 * that keeps failing. Every other active token is refreshed hourly two hours before it expires, so only these
 * lapse.
 *
 * @example
 * const snapshot = await installSnapshot(pool, new Date());
 */
export async function installSnapshot(pool: Pool, asOf: Date): Promise<InstallSnapshot> {
  const [totals, notRefreshed] = await Promise.all([
    pool.query<{ active: number; hours: number | null; expiring: number }>(
      `SELECT count(*)::int AS active,
              avg(extract(epoch FROM $1::timestamptz - coalesce(last_refreshed_at, installed_at)) / 3600)::float8 AS hours,
              count(*) FILTER (WHERE expires_at < $1::timestamptz + interval '24 hours')::int AS expiring
         FROM hl_installations WHERE status = 'active'`,
      [asOf],
    ),
    pool.query<{ installationId: number; locationId: string | null; expiresAt: Date; reason: string }>(
      `SELECT * FROM (
         SELECT i.id AS "installationId", i.location_id AS "locationId", i.expires_at AS "expiresAt",
                ${NOT_REFRESHED_REASON} AS reason
           FROM hl_installations i
          WHERE i.status = 'active' AND i.expires_at < $1::timestamptz + interval '24 hours') t
        WHERE reason IS NOT NULL ORDER BY "expiresAt", "installationId"`,
      [asOf],
    ),
  ]);
  const t = totals.rows[0]!;
  return {
    active: t.active,
    avgHoursSinceRefresh: t.hours === null ? null : Math.round(t.hours * 10) / 10,
    tokensExpiring24h: t.expiring,
    tokensNotRefreshed24h: notRefreshed.rows.length,
    notRefreshed: notRefreshed.rows.map((r) => ({ ...r, expiresAt: r.expiresAt.toISOString() })),
  };
}
