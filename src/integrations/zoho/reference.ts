import { CUSTOMER_REFERENCE_LABEL, type ZohoEntity } from './types.js';

/**
 * What Opsflow needs of each ZOHO entity, in one table:
 * - `id`: the field that holds a record's id;
 * - `singular`: the key a single record is wrapped in (`{code, message, customer: {...}}`);
 * - `reference`: the field that carries our local `reference`: a customer's custom field labelled `Reference`
 *   (listed and searched as `cf_reference`), a subscription's `reference_id` (searched with `reference_contains=`
 *   and matched exactly), an invoice's or payment's `reference_number` (searched with `reference_number=`).
 */
export const ZOHO_ENTITY = {
  customers: { id: 'customer_id', singular: 'customer', reference: 'cf_reference' },
  subscriptions: { id: 'subscription_id', singular: 'subscription', reference: 'reference_id' },
  invoices: { id: 'invoice_id', singular: 'invoice', reference: 'reference_number' },
  payments: { id: 'payment_id', singular: 'payment', reference: 'reference_number' },
} as const satisfies Record<ZohoEntity, { id: string; singular: string; reference: string }>;

/**
 * The body fields that carry our local `reference` on a create or update, per entity: the `Reference` custom field
 * of a customer, a subscription's `reference_id`, an invoice's or payment's `reference_number`.
 *
 * @example
 * await zoho.customers.create({ display_name, email, ...referenceFields('customers', 'CUS-0001') });
 */
export function referenceFields(entity: ZohoEntity, reference: string): Record<string, unknown> {
  if (entity === 'customers') return { custom_fields: [{ label: CUSTOMER_REFERENCE_LABEL, value: reference }] };
  return { [ZOHO_ENTITY[entity].reference]: reference };
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
    item[ZOHO_ENTITY[entity].reference] ??
    (entity === 'customers'
      ? (item.custom_fields as Array<{ label?: string; value?: unknown }> | undefined)?.find(
          (f) => f.label === CUSTOMER_REFERENCE_LABEL,
        )?.value
      : undefined);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The ZOHO id of a list item or record. */
export function zohoIdOf(entity: ZohoEntity, item: Record<string, unknown>): string {
  return String(item[ZOHO_ENTITY[entity].id]);
}
