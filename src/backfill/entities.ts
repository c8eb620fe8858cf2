import { ZOHO_ENTITIES, type ZohoEntity } from '../integrations/zoho/types.js';

/**
 * The ZOHO Billing entities a backfill pushes, in the order it must follow (their one table lives with the ZOHO
 * client): each later one references the ZOHO ids of earlier ones (a subscription its customer, an invoice its
 * customer and subscription, a payment its invoice).
 */
export { ZOHO_ENTITIES, type ZohoEntity };

/** What a backfill works on: `unsynced` (never pushed), `failed` (retry failed only), `all` (every record). */
export const BACKFILL_MODES = ['unsynced', 'failed', 'all'] as const;
export type BackfillMode = (typeof BACKFILL_MODES)[number];

/** `entities` in dependency order, whatever order the caller gave them in. */
export function inPushOrder(entities: readonly ZohoEntity[]): ZohoEntity[] {
  return ZOHO_ENTITIES.filter((e) => entities.includes(e));
}

/** Counters every backfill keeps, overall and per entity. */
export interface BackfillCounters {
  processed: number;
  succeeded: number;
  failed: number;
  skipped: number;
}

export const zeroCounters = (): BackfillCounters => ({ processed: 0, succeeded: 0, failed: 0, skipped: 0 });

/** Adds `b` into `a` (both the four counters and the per-class error counts). */
export function addCounters(a: BackfillCounters, b: BackfillCounters): BackfillCounters {
  return {
    processed: a.processed + b.processed,
    succeeded: a.succeeded + b.succeeded,
    failed: a.failed + b.failed,
    skipped: a.skipped + b.skipped,
  };
}

/** Adds per-class error counts. */
export function addErrorCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const sum = { ...a };
  for (const [k, v] of Object.entries(b)) sum[k] = (sum[k] ?? 0) + v;
  return sum;
}
