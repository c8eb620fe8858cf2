import type { LocalRecord } from '../../backfill/records.js';
import type { ZohoClient } from './client.js';
import { referenceFields, referenceOfItem, zohoIdOf } from './reference.js';
import type { ZohoEntity, ZohoShapes } from './types.js';

/**
 * What the backfill and the reconciliation need from ZOHO Billing, per entity, over the typed client: every
 * method is one HTTP call, so call counts and cost estimates agree. Failures are the client's `IntegrationError`s.
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

/**
 * Fields Opsflow sends beyond the published request schemas: the subscription's status and currency and the
 * invoice's subscription and currency, which the API takes and the specs leave out. A contract test
 * (test/integration/zoho-simulator-vendor.test.ts) lists exactly these.
 */
interface OutsideTheSpec {
  subscriptions: { status?: string; currency_code?: string };
  invoices: { subscription_id?: string; currency_code?: string };
  customers: object;
  payments: object;
}

/** A create (or full update) body of an entity: the spec's request type and the fields above. */
export type ZohoBody<E extends ZohoEntity> = ZohoShapes[E]['create'] & OutsideTheSpec[E];

const money = (v: unknown) => (v === null || v === undefined || v === '' ? null : Number(v).toFixed(2));
const day = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : v ? String(v).slice(0, 10) : null);
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
const text = (v: unknown) => String(v ?? '');

/** The local record as a ZOHO create/update body, with our reference where `referenceFields` puts it. */
export const ZOHO_BODY: { [E in ZohoEntity]: (r: LocalRecord) => ZohoBody<E> } = {
  customers: (r) => ({
    display_name: text(r.display_name),
    email: text(r.email),
    company_name: r.company_name ? text(r.company_name) : undefined,
    ...(referenceFields('customers', r.reference) as Pick<ZohoBody<'customers'>, 'custom_fields'>),
  }),
  subscriptions: (r) => ({
    customer_id: text(r.customer_zoho_id),
    reference_id: r.reference,
    status: text(r.status),
    currency_code: text(r.currency),
    plan: { plan_code: text(r.plan_code), price: Number(r.amount), quantity: 1 },
  }),
  invoices: (r) => ({
    customer_id: text(r.customer_zoho_id),
    subscription_id: r.subscription_zoho_id ?? undefined,
    reference_number: r.reference,
    date: day(r.invoice_date) ?? '',
    currency_code: text(r.currency),
    // The spec types a line's price as a string.
    invoice_items: [{ name: `Invoice ${r.reference}`, price: money(r.total) ?? '0.00', quantity: 1 }],
  }),
  payments: (r) => ({
    customer_id: text(r.customer_zoho_id),
    reference_number: r.reference,
    amount: Number(r.amount),
    date: day(r.payment_date) ?? '',
    payment_mode: text(r.payment_mode),
    invoices: r.invoice_zoho_id ? [{ invoice_id: r.invoice_zoho_id, amount_applied: Number(r.amount) }] : [],
  }),
};

/**
 * The fields reconciliation compares, from a ZOHO list item. Must produce the same keys and formats as the local
 * side (`LOCAL_FIELDS` in src/activities/reconcile.ts).
 */
export function remoteFields(entity: ZohoEntity, item: Record<string, unknown>): Record<string, string | null> {
  switch (entity) {
    case 'customers':
      return { display_name: str(item.display_name), email: str(item.email) };
    case 'subscriptions':
      return { amount: money(item.amount) };
    case 'invoices':
      return { total: money(item.total), invoice_date: day(item.invoice_date ?? item.date) };
    case 'payments':
      return { amount: money(item.amount), payment_date: day(item.date) };
  }
}

/**
 * The backfill's view of ZOHO over the typed client. Look-ups match the reference exactly (subscriptions can only
 * be searched by substring; the client keeps the exact match).
 *
 * @example
 * const push = zohoPushApi(createZohoClient({ config, pool, log }));
 */
export function zohoPushApi(zoho: ZohoClient): ZohoPushApi {
  // One entity's typed API, seen through the entity-generic signature the backfill loops with.
  const api = <E extends ZohoEntity>(entity: E) =>
    zoho[entity] as unknown as {
      findByReference(reference: string): Promise<Record<string, unknown> | undefined>;
      create(body: ZohoBody<E>): Promise<Record<string, unknown>>;
      update(id: string, body: ZohoBody<E>): Promise<unknown>;
      listPage(options: { page: number; perPage: number }): Promise<{ items: unknown[]; hasMorePage: boolean }>;
    };
  return {
    async findByReference(entity, record) {
      const hit = await api(entity).findByReference(record.reference);
      return hit ? zohoIdOf(entity, hit) : undefined;
    },
    async create(entity, record) {
      return zohoIdOf(entity, await api(entity).create(ZOHO_BODY[entity](record)));
    },
    async update(entity, zohoId, record) {
      await api(entity).update(zohoId, ZOHO_BODY[entity](record));
    },
    async listPage(entity, page, perPage) {
      const { items, hasMorePage } = await api(entity).listPage({ page, perPage });
      const records = (items as Array<Record<string, unknown>>).map((item) => ({
        zohoId: zohoIdOf(entity, item),
        reference: referenceOfItem(entity, item) ?? null,
        fields: remoteFields(entity, item),
      }));
      return { records, hasMore: hasMorePage };
    },
  };
}
