import type { ActivityDeps } from './deps.js';
import { createHealthActivities } from './health.js';

export type { ActivityDeps } from './deps.js';
export type { HealthCheck, HealthStatus } from './health.js';

/**
 * Every activity Opsflow's workers register, built from their dependencies.
 *
 * @example
 * const worker = await Worker.create({ activities: createActivities(deps), ... });
 */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createHealthActivities(deps),
  };
}

/** The activity interface workflows proxy (`proxyActivities<Activities>`). */
export type Activities = ReturnType<typeof createActivities>;
