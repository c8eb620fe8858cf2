import { zohoPushApi } from '../integrations/zoho/push.js';
import { createReconcileActivities } from './reconcile.js';
import { createBackfillActivities, createHighLevelBackfillActivities } from './backfill.js';
import type { ActivityDeps } from './deps.js';
import { createAlertActivities } from './alerts.js';
import { createBackupActivities } from './backups.js';
import { createDailyRunbookActivities } from './runbooks-daily.js';
import { createMonthlyRunbookActivities } from './runbooks-monthly.js';
import { createReportActivities } from './runbooks-reports.js';
import { createWeeklyRunbookActivities } from './runbooks-weekly.js';
import { createHealthActivities } from './health.js';
import { createHighLevelActivities } from './highlevel.js';
import { createIncidentActivities } from './incidents.js';
import { createNotifyActivities } from './notify.js';
import { createOutageActivities } from './outages.js';
import { createTokenActivities } from './tokens.js';
import { createZohoActivities } from './zoho.js';

export type { ActivityDeps } from './deps.js';
export type { HealthCheck, HealthStatus } from './health.js';
export type { ExpiringInstallation, RefreshOutcome } from './tokens.js';
export type { Delivery, NotificationMessage } from '../notifications/types.js';
export type { ActiveMaintenanceWindow } from './incidents.js';
export type { OpenIncidentResult } from '../incidents/open.js';
export type { OutagePage } from './outages.js';

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
