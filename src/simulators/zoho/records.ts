/**
 * How the ZOHO simulator turns request bodies into stored records and records into list items, following the
 * shapes of the official specs. Only the fields Opsflow reads and writes are modelled; each has the spec's type.
 */
import { referenceOfItem } from '../../integrations/zoho/reference.js';
import {
  type ZohoCustomer,
  type ZohoEntity,
  type ZohoInvoice,
  type ZohoPayment,
  type ZohoSubscription,
} from '../../integrations/zoho/types.js';

/** A stored record: the response shape of its entity. */
export type SimRecord = Record<string, unknown>;

export { ZOHO_ENTITY } from '../../integrations/zoho/reference.js';

/** Thrown for a request the vendor would refuse with 400; carries the vendor's code. */
export class SimValidationError extends Error {
  constructor(
    message: string,
    readonly code = 4,
  ) {
    super(message);
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};
const required = (body: SimRecord, field: string): string => {
  const v = str(body[field]);
  if (v === undefined) throw new SimValidationError(`Invalid value passed for ${field}`);
  return v;
};
/** A field the spec types as an array of objects (absent is empty); anything else is a 400, never a crash. */
const array = (body: SimRecord, field: string): SimRecord[] => {
  const v = body[field] ?? [];
  if (!Array.isArray(v) || v.some((item) => !item || typeof item !== 'object')) {
    throw new SimValidationError(`Invalid value passed for ${field}`);
  }
  return v as SimRecord[];
};
/** A field the spec types as an object (absent is empty). */
const object = (body: SimRecord, field: string): SimRecord => {
  const v = body[field] ?? {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new SimValidationError(`Invalid value passed for ${field}`);
  return v as SimRecord;
};
const money = (n: number) => Math.round(n * 100) / 100;

/** ZOHO's time format: `2016-06-05T02:15:15-0700`. */
export function zohoTime(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, '+0000');
}

/** The reference a record carries (see ZOHO_ENTITY), for look-ups and duplicate detection. */
export function referenceOf(entity: ZohoEntity, record: SimRecord): string | undefined {
  // A stored customer's reference is its custom field (never a `cf_reference` key). Only that field is passed on:
  // look-ups scan every record, and copying whole records made that scan the simulator's main cost.
  return referenceOfItem(entity, entity === 'customers' ? { custom_fields: record.custom_fields } : record);
}

type Lookup = (entity: ZohoEntity, id: string) => SimRecord | undefined;

function customerOf(lookup: Lookup, body: SimRecord): SimRecord {
  // A stored subscription keeps its customer as an object; an update body may name none.
  const id =
    str(body.customer_id) ??
    str((body.customer as SimRecord | undefined)?.customer_id) ??
    required(body, 'customer_id');
  const customer = lookup('customers', id);
  if (!customer) throw new SimValidationError('Invalid value passed for customer_id');
  return customer;
}

/** Applies a create (no `existing`) or update body to a record of `entity`. */
export function buildRecord(
  entity: ZohoEntity,
  id: string,
  body: SimRecord,
  lookup: Lookup,
  now: Date,
  existing?: SimRecord,
): SimRecord {
  const merged: SimRecord = { ...existing, ...body };
  const stamp = { updated_time: zohoTime(now), created_time: (existing?.created_time as string) ?? zohoTime(now) };
  switch (entity) {
    case 'customers': {
      const email = required(merged, 'email');
      if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new SimValidationError('Invalid value passed for email');
      const customFields = array(merged, 'custom_fields').map((f, i) => ({
        index: num(f.index) ?? i + 1,
        label: String(f.label ?? ''),
        value: String(f.value ?? ''),
        data_type: 'string',
      }));
      const record: ZohoCustomer = {
        customer_id: id,
        display_name: required(merged, 'display_name'),
        email,
        company_name: str(merged.company_name) ?? '',
        first_name: str(merged.first_name) ?? '',
        last_name: str(merged.last_name) ?? '',
        currency_code: str(merged.currency_code) ?? 'USD',
        status: str(merged.status) ?? 'active',
        outstanding: num(merged.outstanding) ?? 0,
        unused_credits: num(merged.unused_credits) ?? 0,
        custom_fields: customFields,
        ...stamp,
      };
      return record as SimRecord;
    }
    case 'subscriptions': {
      const customer = customerOf(lookup, merged);
      const plan = object(merged, 'plan');
      const planCode = str(plan.plan_code);
      if (!planCode) throw new SimValidationError('Invalid value passed for plan_code');
      const quantity = num(plan.quantity) ?? 1;
      const price = num(plan.price) ?? 0;
      const record: ZohoSubscription = {
        subscription_id: id,
        name: str(plan.name) ?? planCode,
        status: str(merged.status) ?? 'live',
        amount: money(price * quantity),
        created_at: (existing?.created_at as string) ?? now.toISOString().slice(0, 10),
        interval: '1',
        interval_unit: 'months',
        auto_collect: merged.auto_collect === true,
        reference_id: str(merged.reference_id) ?? '',
        currency_code: str(merged.currency_code) ?? (customer.currency_code as string) ?? 'USD',
        plan: {
          plan_code: planCode,
          name: str(plan.name) ?? planCode,
          quantity,
          price,
          total: money(price * quantity),
        },
        customer: {
          customer_id: customer.customer_id as string,
          display_name: customer.display_name as string,
          email: customer.email as string,
        },
        ...stamp,
      };
      return record as SimRecord;
    }
    case 'invoices': {
      const customer = customerOf(lookup, merged);
      const date = required(merged, 'date');
      const items = array(merged, 'invoice_items');
      if (items.length === 0) throw new SimValidationError('Invalid value passed for invoice_items');
      const lines = items.map((item, i) => {
        const price = num(item.price) ?? num(item.rate) ?? 0;
        const quantity = num(item.quantity) ?? 1;
        return {
          item_id: `${id}${i + 1}`,
          name: str(item.name) ?? `Item ${i + 1}`,
          description: str(item.description) ?? '',
          // The invoice spec types a line's price as a string.
          price: String(price),
          quantity,
          item_total: money(price * quantity),
        };
      });
      const total = money(lines.reduce((sum, l) => sum + l.item_total, 0));
      const paid = num(existing?.payment_made) ?? 0;
      const record: ZohoInvoice = {
        invoice_id: id,
        invoice_number: str(merged.invoice_number) ?? `INV-${id.slice(-6)}`,
        date,
        due_date: str(merged.due_date) ?? date,
        status: str(merged.status) ?? (paid >= total ? 'paid' : 'sent'),
        reference_number: str(merged.reference_number) ?? '',
        customer_id: customer.customer_id as string,
        customer_name: customer.display_name as string,
        currency_code: str(merged.currency_code) ?? 'USD',
        invoice_items: lines,
        sub_total: total,
        total,
        payment_made: paid,
        balance: money(total - paid),
        created_time: stamp.created_time,
        last_modified_time: stamp.updated_time,
      };
      // Not in the published invoice shape, but the API keeps the link and filters on it.
      return { ...record, subscription_id: str(merged.subscription_id) ?? '' };
    }
    case 'payments': {
      const customer = customerOf(lookup, merged);
      const amount = num(merged.amount);
      if (amount === undefined || amount <= 0) throw new SimValidationError('Invalid value passed for amount');
      const applied = array(merged, 'invoices').map((a) => {
        const invoice = lookup('invoices', String(a.invoice_id));
        if (!invoice) throw new SimValidationError('Invalid value passed for invoice_id');
        return {
          invoice_id: invoice.invoice_id as string,
          invoice_number: invoice.invoice_number as string,
          date: invoice.date as string,
          invoice_amount: invoice.total as number,
          amount_applied: num(a.amount_applied) ?? 0,
          balance_amount: invoice.balance as number,
        };
      });
      const record: ZohoPayment = {
        payment_id: id,
        payment_mode: required(merged, 'payment_mode'),
        amount,
        date: str(merged.date) ?? now.toISOString().slice(0, 10),
        status: 'success',
        reference_number: str(merged.reference_number) ?? '',
        description: str(merged.description) ?? '',
        customer_id: customer.customer_id as string,
        customer_name: customer.display_name as string,
        email: customer.email as string,
        invoices: applied,
        currency_code: str(merged.currency_code) ?? 'USD',
      };
      return record as SimRecord;
    }
  }
}

const pick = (record: SimRecord, fields: string[]) =>
  Object.fromEntries(fields.filter((f) => record[f] !== undefined).map((f) => [f, record[f]]));

/** The list-item shape of each entity, as the spec's list responses describe it. */
export function listItem(entity: ZohoEntity, record: SimRecord): SimRecord {
  switch (entity) {
    case 'customers':
      // Custom fields appear in lists under their API name (`cf_<label>`), as the vendor lists them.
      return {
        cf_reference: referenceOf('customers', record) ?? '',
        ...pick(record, [
          'customer_id',
          'display_name',
          'first_name',
          'last_name',
          'email',
          'company_name',
          'currency_code',
          'unused_credits',
          'outstanding',
          'created_time',
          'updated_time',
        ]),
      };
    case 'subscriptions': {
      const customer = (record.customer as SimRecord | undefined) ?? {};
      return {
        ...pick(record, [
          'subscription_id',
          'name',
          'status',
          'amount',
          'created_at',
          'interval',
          'interval_unit',
          'auto_collect',
          'created_time',
          'updated_time',
          'reference_id',
          'currency_code',
        ]),
        customer_id: customer.customer_id,
        customer_name: customer.display_name,
        email: customer.email,
        plan_name: (record.plan as SimRecord | undefined)?.name,
      };
    }
    case 'invoices':
      return {
        ...pick(record, [
          'invoice_id',
          'status',
          'due_date',
          'customer_id',
          'customer_name',
          'balance',
          'total',
          'currency_code',
          'created_time',
        ]),
        number: record.invoice_number,
        reference_number: record.reference_number,
        invoice_date: record.date,
        updated_time: record.last_modified_time,
      };
    case 'payments':
      return record;
  }
}

/** Whether a record matches a list call's filters (the ones the vendor documents for that entity). */
export function matchesFilters(entity: ZohoEntity, record: SimRecord, query: Record<string, string>): boolean {
  const reference = referenceOf(entity, record) ?? '';
  const customerId =
    entity === 'subscriptions' ? (record.customer as SimRecord | undefined)?.customer_id : record.customer_id;
  if (query.customer_id && query.customer_id !== customerId) return false;
  if (query.subscription_id && query.subscription_id !== record.subscription_id) return false;
  if (query.cf_reference !== undefined && entity === 'customers' && query.cf_reference !== reference) return false;
  if (query.reference_number !== undefined && query.reference_number !== reference) return false;
  if (query.reference_contains && !reference.toLowerCase().includes(query.reference_contains.toLowerCase())) {
    return false;
  }
  if (query.search_text) {
    const text = query.search_text.toLowerCase();
    const hay = [record.display_name, record.email, record.company_name, record.customer_name, reference];
    if (!hay.some((v) => typeof v === 'string' && v.toLowerCase().includes(text))) return false;
  }
  const status = query.filter_by?.split('.')[1];
  if (status && status.toLowerCase() !== 'all' && String(record.status).toLowerCase() !== status.toLowerCase()) {
    return false;
  }
  return true;
}
