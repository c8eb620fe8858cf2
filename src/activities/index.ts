import { zohoPushApi } from '../integrations/zoho/push.js';
import { createReconcileActivities } from './reconcile/reconcile.js';
import { createBackfillActivities, createHighLevelBackfillActivities } from './backfill/backfill.js';
import type { ActivityDeps } from './deps.js';
import { createAlertActivities } from './incidents/alerts.js';
import { createBackupActivities } from './backups/backups.js';
import { createDailyRunbookActivities } from './runbooks/daily.js';
import { createMonthlyRunbookActivities } from './runbooks/monthly.js';
import { createReportActivities } from './runbooks/reports.js';
import { createWeeklyRunbookActivities } from './runbooks/weekly.js';
import { createHealthActivities } from './integrations/health.js';
import { createHighLevelActivities } from './integrations/highlevel.js';
import { createIncidentActivities } from './incidents/incidents.js';
import { createNotifyActivities } from './incidents/notify.js';
import { createOutageActivities } from './incidents/outages.js';
import { createTokenActivities } from './integrations/tokens.js';
import { createZohoActivities } from './integrations/zoho.js';

export type { ActivityDeps } from './deps.js';
export type { HealthCheck, HealthStatus } from './integrations/health.js';
export type { ExpiringInstallation, RefreshOutcome } from './integrations/tokens.js';
export type { Delivery, NotificationMessage } from '../notifications/types.js';
export type { ActiveMaintenanceWindow } from '../incidents/maintenance.js';
export type { OpenIncidentResult } from '../incidents/open.js';
export type { OutagePage } from './incidents/outages.js';

/**
 * Every activity Opsflow's workers register, built from their dependencies.
 *
 * @example
 * const worker = await Worker.create({ activities: createActivities(deps), ... });
 */
export function createActivities(deps: ActivityDeps) {
  const zohoPush = zohoPushApi(deps.zoho);
  return {
    ...createHealthActivities(deps),
    ...createHighLevelActivities(deps),
    ...createTokenActivities(deps),
    ...createAlertActivities(deps),
    ...createDailyRunbookActivities(deps),
    ...createWeeklyRunbookActivities(deps),
    ...createMonthlyRunbookActivities(deps),
    ...createReportActivities(deps),
    ...createBackfillActivities({ pool: deps.pool, zohoPush }),
    ...createReconcileActivities({ pool: deps.pool, zohoPush }),
    ...createHighLevelBackfillActivities({ pool: deps.pool, highlevel: deps.highlevel }),
    ...createNotifyActivities(deps),
    ...createIncidentActivities(deps),
    ...createOutageActivities(deps),
    ...createBackupActivities(deps),
    ...createZohoActivities(deps),
  };
}

/** The activity interface workflows proxy (`proxyActivities<Activities>`). */
export type Activities = ReturnType<typeof createActivities>;
