import type { ZohoClient } from '../integrations/zoho/client.js';
import type { ZohoEntity } from './entities.js';
import type { LocalRecord } from './records.js';
import type { RemoteRecord, ZohoPushApi } from './zoho-port.js';

/** One ZOHO Billing call with the client's token, classification and usage counting. */
export type ZohoTransport = ZohoClient['call'];

/** Where each entity's id and list live in ZOHO's answers, and the query that finds a reference. */
const SHAPE = {
  customers: { one: 'customer', id: 'customer_id', find: 'cf_reference' },
  subscriptions: { one: 'subscription', id: 'subscription_id', find: 'reference_contains' },
  invoices: { one: 'invoice', id: 'invoice_id', find: 'reference_number' },
  payments: { one: 'payment', id: 'payment_id', find: 'reference_number' },
} as const satisfies Record<ZohoEntity, { one: string; id: string; find: string }>;

const money = (v: unknown) => (v === null || v === undefined || v === '' ? null : Number(v).toFixed(2));
const day = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : v ? String(v).slice(0, 10) : null);
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** The local record as a ZOHO create/update body. */
export function toZohoBody(entity: ZohoEntity, r: LocalRecord): Record<string, unknown> {
  switch (entity) {
    case 'customers':
      return {
        display_name: r.display_name,
        email: r.email,
        company_name: r.company_name ?? undefined,
        custom_fields: [{ label: 'Reference', value: r.reference }],
      };
    case 'subscriptions':
      return {
        customer_id: r.customer_zoho_id,
        reference_id: r.reference,
        status: r.status,
        currency_code: r.currency,
        plan: { plan_code: r.plan_code, price: Number(r.amount), quantity: 1 },
      };
    case 'invoices':
      return {
        customer_id: r.customer_zoho_id,
        subscription_id: r.subscription_zoho_id ?? undefined,
        reference_number: r.reference,
        date: day(r.invoice_date),
        currency_code: r.currency,
        // The spec types a line's price as a string.
        invoice_items: [{ name: `Invoice ${r.reference}`, price: money(r.total), quantity: 1 }],
      };
    case 'payments':
      return {
        customer_id: r.customer_zoho_id,
        reference_number: r.reference,
        amount: Number(r.amount),
        date: day(r.payment_date),
        payment_mode: r.payment_mode,
        invoices: r.invoice_zoho_id ? [{ invoice_id: r.invoice_zoho_id, amount_applied: Number(r.amount) }] : [],
      };
  }
}

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

function referenceOf(entity: ZohoEntity, item: Record<string, unknown>): string | null {
  const value =
    entity === 'customers' ? item.cf_reference : entity === 'subscriptions' ? item.reference_id : item.reference_number;
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * The backfill's view of ZOHO over a transport: one HTTP call per method. Look-ups match the reference exactly
 * (subscriptions can only be searched by substring).
 *
 * @example
 * const api = zohoPushApi((method, path, options) => zoho.call(method, path, options));
 */
export function zohoPushApi(call: ZohoTransport): ZohoPushApi {
  return {
    async findByReference(entity, record) {
      const shape = SHAPE[entity];
      const body = await call('GET', `/${entity}`, { query: { [shape.find]: record.reference, per_page: 200 } });
      const items = (body[entity] as Array<Record<string, unknown>> | undefined) ?? [];
      const hit = items.find((item) => referenceOf(entity, item) === record.reference);
      return hit ? String(hit[shape.id]) : undefined;
    },
    async create(entity, record) {
      const shape = SHAPE[entity];
      const body = await call('POST', `/${entity}`, { json: toZohoBody(entity, record) });
      return String((body[shape.one] as Record<string, unknown>)[shape.id]);
    },
    async update(entity, zohoId, record) {
      await call('PUT', `/${entity}/${encodeURIComponent(zohoId)}`, { json: toZohoBody(entity, record) });
    },
    async listPage(entity, page, perPage) {
      const body = await call('GET', `/${entity}`, { query: { page, per_page: perPage } });
      const items = (body[entity] as Array<Record<string, unknown>> | undefined) ?? [];
      const records: RemoteRecord[] = items.map((item) => ({
        zohoId: String(item[SHAPE[entity].id]),
        reference: referenceOf(entity, item),
        fields: remoteFields(entity, item),
      }));
      const context = body.page_context as { has_more_page?: boolean } | undefined;
      return { records, hasMore: context?.has_more_page === true };
    },
  };
}
