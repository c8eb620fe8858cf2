import type { ZohoEntity } from './entities.js';
import type { LocalRecord } from './records.js';

/**
 * What the backfill and the reconciliation need from ZOHO Billing, per entity. Built from the ZOHO client
 * (src/backfill/zoho-adapter.ts); every method is one HTTP call, so call counts and cost estimates agree.
 * Failures are thrown as `IntegrationError`s (src/integrations/errors.ts).
 */
export interface ZohoPushApi {
  /** The remote record carrying this local reference, if a create already happened (maybe unrecorded). */
  findByReference(entity: ZohoEntity, record: LocalRecord): Promise<string | undefined>;
  /** Creates the remote record; returns its ZOHO id. */
  create(entity: ZohoEntity, record: LocalRecord): Promise<string>;
  /** Overwrites the remote record's fields with the local ones. */
  update(entity: ZohoEntity, zohoId: string, record: LocalRecord): Promise<void>;
  /** One page (1-based) of remote records, normalised for comparison. */
  listPage(entity: ZohoEntity, page: number, perPage: number): Promise<{ records: RemoteRecord[]; hasMore: boolean }>;
}

/** A remote record as reconciliation compares it: its id, the local reference it carries, compared fields. */
export interface RemoteRecord {
  zohoId: string;
  reference: string | null;
  fields: Record<string, string | null>;
}
