import { CUSTOMER_REFERENCE_LABEL, type ZohoEntity } from './types.js';

/** The field that holds a record's id, per entity. */
export const ZOHO_ID_FIELD = {
  customers: 'customer_id',
  subscriptions: 'subscription_id',
  invoices: 'invoice_id',
  payments: 'payment_id',
} as const satisfies Record<ZohoEntity, string>;

/** The key a single record is wrapped in (`{code, message, customer: {...}}`). */
export const ZOHO_SINGULAR = {
  customers: 'customer',
  subscriptions: 'subscription',
  invoices: 'invoice',
  payments: 'payment',
} as const satisfies Record<ZohoEntity, string>;

/**
 * The body fields that carry our local `reference` on a create or update, per entity: the `Reference` custom field
 * of a customer, a subscription's `reference_id`, an invoice's or payment's `reference_number`.
 *
 * @example
 * await zoho.customers.create({ display_name, email, ...referenceFields('customers', 'CUS-0001') });
 */
export function referenceFields(entity: ZohoEntity, reference: string): Record<string, unknown> {
  if (entity === 'customers') return { custom_fields: [{ label: CUSTOMER_REFERENCE_LABEL, value: reference }] };
  return { [entity === 'subscriptions' ? 'reference_id' : 'reference_number']: reference };
}

/**
 * The reference a list item or record carries, or undefined. Customers list it as `cf_reference` and keep it in
 * `custom_fields` on a full record.
 *
 * @example
 * const reference = referenceOfItem('invoices', item); // 'INV-0001'
 */
export function referenceOfItem(entity: ZohoEntity, item: Record<string, unknown>): string | undefined {
  const value =
    entity === 'customers'
      ? (item.cf_reference ??
        (item.custom_fields as Array<{ label?: string; value?: unknown }> | undefined)?.find(
          (f) => f.label === CUSTOMER_REFERENCE_LABEL,
        )?.value)
      : item[entity === 'subscriptions' ? 'reference_id' : 'reference_number'];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The ZOHO id of a list item or record. */
export function zohoIdOf(entity: ZohoEntity, item: Record<string, unknown>): string {
  return String(item[ZOHO_ID_FIELD[entity]]);
}
