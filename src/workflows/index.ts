/** Every workflow the main worker registers. A test checks the bundle exports each one. */
export { monitorIntegrations, monitorStatusQuery } from './monitor-integrations.js';
export { escalateIncident } from './escalate-incident.js';
export { dailyRunbook, dailyRunbookStatusQuery } from './daily-runbook.js';
export { weeklyRunbook, weeklyRunbookStatusQuery } from './weekly-runbook.js';
export { monthlyRunbook, monthlyRunbookStatusQuery } from './monthly-runbook.js';
export { deliverReport } from './deliver-report.js';
export {
  backfill,
  backfillStatusQuery,
  pauseBackfillUpdate,
  resumeBackfillUpdate,
  cancelBackfillUpdate,
} from './backfill.js';
export { reconcile, reconcileStatusQuery, approveRepairUpdate, rejectRepairUpdate } from './reconcile.js';
export { refreshExpiringTokens, tokenRefreshStatusQuery } from './refresh-expiring-tokens.js';
export { deliveryChecks, deliveryChecksStatusQuery } from './delivery-checks.js';
export { backupDatabase, restoreTest, backupStatusQuery } from './backup.js';
