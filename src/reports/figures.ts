/**
 * The figures each report-producing runbook collects (activity results, stored in the report as `figures`): the
 * activities in `src/activities/runbooks` gather them, `src/reports` renders them, the workflows pass them on.
 */
import type { BackupActivity, LastVerifiedBackup } from './backups.js';
import type { CapacityGrowth, CapacitySnapshot } from './capacity.js';
import type { AttentionItem } from './attention.js';
import type { AlertActivity, IncidentActivity, OpenAlert } from './incidents.js';
import type { InstallActivity, InstallSnapshot } from './installations.js';
import type { VendorLatency } from './latency.js';
import type { ApiUsageStats, SyncStats } from './metrics.js';
import type { UptimeStats } from './uptime.js';

/** The figures of one period of the weekly report. */
export interface PeriodFigures {
  from: string;
  to: string;
  newInstallations: number;
  tokenRefreshes: Record<string, number>;
  securityEvents: Record<string, number>;
  api: ApiUsageStats[];
  sync: SyncStats[];
  alertsFired: Record<string, number>;
  incidentsOpened: Record<string, number>;
  uptime: UptimeStats[];
  /** Vendor call latency (`vendor_calls`) per integration and per endpoint group, slowest first, with top errors. */
  latency: VendorLatency;
  installs: InstallActivity;
  incidents: IncidentActivity;
  alerts: AlertActivity;
  backups: BackupActivity;
}

/** Figures that describe a moment (the run's), not a week: last week's come from the previous weekly report. */
export interface WeeklySnapshot {
  asOf: string;
  installations: InstallSnapshot;
  capacity: CapacitySnapshot;
  openAlerts: OpenAlert[];
  backupsConfigured: boolean;
  lastVerifiedBackup: LastVerifiedBackup | null;
}

export interface WeeklyFigures {
  installationsByStatus: Record<string, number>;
  /** Active tokens expiring within 24 h that no refresh will renew first (see installSnapshot). */
  tokensExpiring24h: number;
  thisWeek: PeriodFigures;
  previousWeek: PeriodFigures;
  snapshot: WeeklySnapshot;
  /** The snapshot of the previous weekly report, null when there is none (or it predates snapshots). */
  previousSnapshot: WeeklySnapshot | null;
  growth: CapacityGrowth;
  attention: AttentionItem[];
}

/** The figures of one 30-day period of the monthly report. */
export interface MonthPeriod {
  from: string;
  to: string;
  sync: SyncStats[];
  api: ApiUsageStats[];
  failedSyncsPerDay: number;
}

export interface MonthlyFigures {
  thisMonth: MonthPeriod;
  previousMonth: MonthPeriod;
}
