/**
 * The ZOHO Billing shapes Opsflow uses, derived from the generated spec types (never copied from them). The
 * vendor's files mark some fields required that the API accepts without (a card for an offline subscription,
 * tax authorities outside the US); the request types below relax exactly those and keep the rest as generated.
 */
import type { components as CustomerSpec } from './generated/customers.js';
import type { components as InvoiceSpec } from './generated/invoices.js';
import type { components as PaymentSpec } from './generated/payments.js';
import type { components as SubscriptionSpec } from './generated/subscriptions.js';

type CustomerSchemas = CustomerSpec['schemas'];
type SubscriptionSchemas = SubscriptionSpec['schemas'];
type InvoiceSchemas = InvoiceSpec['schemas'];
type PaymentSchemas = PaymentSpec['schemas'];

type Relax<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;
type Item<T> = T extends Array<infer U> ? U : never;

/** The four billing entities Opsflow syncs, in dependency order: the one list of them (the backfill re-exports it). */
export const ZOHO_ENTITIES = ['customers', 'subscriptions', 'invoices', 'payments'] as const;
export type ZohoEntity = (typeof ZOHO_ENTITIES)[number];

export type ZohoCustomer = CustomerSchemas['customer-response'];
/** A customer in a list page; custom fields are listed under their API name, our reference as `cf_reference`. */
export type ZohoCustomerListItem = Item<NonNullable<CustomerSchemas['list-all-customers-response']['customers']>> & {
  cf_reference?: string;
};
export type ZohoCustomerCreate = Relax<
  CustomerSchemas['create-a-customer-request'],
  'tax_authority_id' | 'tax_authority_name'
>;
export type ZohoCustomerUpdate = Partial<CustomerSchemas['update-a-customer-request']>;

export type ZohoSubscription = SubscriptionSchemas['subscription-response'];
export type ZohoSubscriptionListItem = Item<
  NonNullable<SubscriptionSchemas['list-all-subscriptions-response']['subscriptions']>
>;
type SubscriptionRequest = SubscriptionSchemas['create-a-subscription-request'];
export type ZohoSubscriptionCreate = Relax<
  Omit<SubscriptionRequest, 'plan'>,
  'customer' | 'customer_id' | 'card_id' | 'account_id'
> & {
  plan: Relax<SubscriptionRequest['plan'], 'tax_id'>;
};
export type ZohoSubscriptionUpdate = Partial<SubscriptionSchemas['update-a-subscription-request']>;

export type ZohoInvoice = InvoiceSchemas['invoice-response'];
export type ZohoInvoiceListItem = Item<NonNullable<InvoiceSchemas['list-all-invoices-response']['invoices']>> &
  Pick<ZohoInvoice, 'reference_number'>;
type InvoiceRequest = InvoiceSchemas['create-an-invoice-request'];
type InvoiceLine = Item<InvoiceRequest['invoice_items']>;
export type ZohoInvoiceCreate = Omit<InvoiceRequest, 'invoice_items'> & {
  invoice_items: Array<Relax<InvoiceLine, 'product_id'>>;
};
export type ZohoInvoiceUpdate = Partial<ZohoInvoiceCreate>;

export type ZohoPayment = PaymentSchemas['payment-response'];
export type ZohoPaymentCreate = PaymentSchemas['create-a-payment-request'];
export type ZohoPaymentUpdate = Partial<PaymentSchemas['update-a-payment-request']>;

/** What each entity looks like in a list page, a full read, and create / update bodies. */
export interface ZohoShapes {
  customers: {
    list: ZohoCustomerListItem;
    record: ZohoCustomer;
    create: ZohoCustomerCreate;
    update: ZohoCustomerUpdate;
  };
  subscriptions: {
    list: ZohoSubscriptionListItem;
    record: ZohoSubscription;
    create: ZohoSubscriptionCreate;
    update: ZohoSubscriptionUpdate;
  };
  invoices: { list: ZohoInvoiceListItem; record: ZohoInvoice; create: ZohoInvoiceCreate; update: ZohoInvoiceUpdate };
  // The payments spec documents no list call; the API's list answers with payment records.
  payments: { list: ZohoPayment; record: ZohoPayment; create: ZohoPaymentCreate; update: ZohoPaymentUpdate };
}

/** One page of a list call: `page_context.has_more_page` says whether another page follows. */
export interface ZohoPage<T> {
  items: T[];
  page: number;
  perPage: number;
  hasMorePage: boolean;
}

/** An organization the credentials can reach (the organizations call is not in the published specs). */
export interface ZohoOrganization {
  organization_id: string;
  name: string;
  currency_code?: string;
  time_zone?: string;
  is_default_org?: boolean;
}

/** The label of the customer custom field that carries our reference. */
export const CUSTOMER_REFERENCE_LABEL = 'Reference';
