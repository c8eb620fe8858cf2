/** Every workflow the main worker registers. A test checks the bundle exports each one. */
export { monitorIntegrations, monitorStatusQuery } from './integrations/monitor-integrations.js';
export { escalateIncident } from './incidents/escalate-incident.js';
export { dailyRunbook, dailyRunbookStatusQuery } from './runbooks/daily-runbook.js';
export { weeklyRunbook, weeklyRunbookStatusQuery } from './runbooks/weekly-runbook.js';
export { monthlyRunbook, monthlyRunbookStatusQuery } from './runbooks/monthly-runbook.js';
export { deliverReport } from './runbooks/deliver-report.js';
export {
  backfill,
  backfillStatusQuery,
  pauseBackfillUpdate,
  resumeBackfillUpdate,
  cancelBackfillUpdate,
} from './backfill/backfill.js';
export { reconcile, reconcileStatusQuery, approveRepairUpdate, rejectRepairUpdate } from './reconcile/reconcile.js';
export { refreshExpiringTokens, tokenRefreshStatusQuery } from './integrations/refresh-expiring-tokens.js';
export { deliveryChecks, deliveryChecksStatusQuery } from './integrations/delivery-checks.js';
export { backupDatabase, restoreTest, backupStatusQuery } from './backups/backup.js';
