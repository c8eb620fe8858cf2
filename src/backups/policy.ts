/** One incident for backups that cannot be trusted, however many nights fail; a verified backup resolves it. */
export const BACKUP_INCIDENT_KEY = 'backup-unverified';

/** How many verified backups to keep: the newest of each of the last `daily` days and of the last `weekly` weeks. */
export interface BackupRetention {
  daily: number;
  weekly: number;
  /** Days and weeks are counted in this time zone (OPSFLOW_TIMEZONE), weeks from Monday. */
  timeZone: string;
}

export interface RetainableBackup {
  id: string;
  startedAt: Date;
}

/** `2026-12-03` in the given time zone. */
function localDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The Monday that starts the week of a local date, as `YYYY-MM-DD`. */
function weekOf(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - sinceMonday * 86_400_000).toISOString().slice(0, 10);
}

/** The newest backup of each of the first `count` distinct periods, newest period first. */
function newestPerPeriod(sorted: RetainableBackup[], periodOf: (b: RetainableBackup) => string, count: number) {
  const kept = new Map<string, string>();
  for (const backup of sorted) {
    const period = periodOf(backup);
    if (kept.has(period)) continue;
    if (kept.size >= count) break;
    kept.set(period, backup.id);
  }
  return [...kept.values()];
}

/**
 * The verified backups retention keeps (grandfather-father-son): the newest backup of each of the `daily` most
 * recent days that have one, and the newest of each of the `weekly` most recent weeks that have one. Periods are
 * counted among verified backups, not on the calendar, so nights without a verified backup (a failed or unverified
 * run, a stopped worker) never push a verified backup out; and the newest verified backup is always kept.
 *
 * @example
 * const keep = retainedBackups(verified, { daily: 7, weekly: 4, timeZone: 'UTC' });
 */
export function retainedBackups(verified: RetainableBackup[], policy: BackupRetention): Set<string> {
  const sorted = [...verified].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
  const day = (b: RetainableBackup) => localDate(b.startedAt, policy.timeZone);
  const keep = new Set([
    ...newestPerPeriod(sorted, day, policy.daily),
    ...newestPerPeriod(sorted, (b) => weekOf(day(b)), policy.weekly),
  ]);
  if (sorted[0]) keep.add(sorted[0].id);
  return keep;
}
