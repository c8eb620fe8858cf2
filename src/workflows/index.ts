/** Every workflow the main worker registers. A test checks the bundle exports each one. */
export { monitorIntegrations, monitorStatusQuery } from './monitor-integrations.js';
export {
  backfill,
  backfillStatusQuery,
  pauseBackfillUpdate,
  resumeBackfillUpdate,
  cancelBackfillUpdate,
} from './backfill.js';
