/** Every workflow the main worker registers. A test checks the bundle exports each one. */
export { monitorIntegrations, monitorStatusQuery } from './monitor-integrations.js';
