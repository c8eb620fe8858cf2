import type { Pool } from '../../db/pool.js';
import { referenceFields } from '../../integrations/zoho/reference.js';
import type { Seeder } from './types.js';

/**
 * The known reconciliation mismatches the billing seed plants (docs/demo-data.md lists them): a reconciliation of
 * freshly seeded data finds exactly these, whatever the scale.
 */
export const KNOWN_MISMATCHES = {
  /** Synced locally, but ZOHO has a total 10.00 higher. */
  different: { entity: 'invoices', reference: 'INV-00001-1', localTotal: 49, remoteTotal: 59 },
  /** In ZOHO only. */
  missingLocally: { entity: 'customers', reference: 'CUS-REMOTE-ONLY', zohoId: '460000009999999' },
  /** Synced locally (with a ZOHO id), but not in ZOHO. */
  missingRemotely: { entity: 'payments', reference: 'PAY-00002', zohoId: '463000000000002' },
} as const;

const PLANS = [
  ['starter-monthly', 29],
  ['growth-monthly', 49],
  ['pro-monthly', 99],
  ['scale-monthly', 199],
] as const;
const DAY = 86_400_000;
/** Records mirrored into the simulator per control call. */
const SEED_CHUNK = 2000;

type State = { state: 'pending' | 'synced' | 'failed'; errorClass?: string; error?: string };
const synced: State = { state: 'synced' };
const pending: State = { state: 'pending' };
const failed = (errorClass: string, error: string): State => ({ state: 'failed', errorClass, error });

/** Customer i's sync state (i from 1): per 10 customers 6 synced, 2 pending, 2 failed. */
function customerState(i: number): State {
  const slot = i % 10;
  if (slot === 8) return failed('ValidationFailed', 'HTTP 400 code 4: Invalid value passed for email');
  if (slot === 9) return failed('ServerError', 'HTTP 500 code 1: Internal error. Please try again after some time.');
  return slot === 6 || slot === 7 ? pending : synced;
}

const pad = (i: number) => String(i).padStart(5, '0');
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

async function insert(pool: Pool, table: string, columns: string[], types: string[], rows: unknown[][]): Promise<void> {
  if (rows.length === 0) return;
  const arrays = columns.map((_, c) => rows.map((r) => r[c] ?? null));
  await pool.query(
    `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`,
    arrays,
  );
}

async function idsByReference(pool: Pool, table: string): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ id: number; reference: string }>(`SELECT id, reference FROM ${table}`);
  return new Map(rows.map((r) => [r.reference, r.id]));
}

const SYNC_COLUMNS = ['zoho_id', 'sync_state', 'sync_attempts', 'last_error_class', 'last_error', 'synced_at'];
const SYNC_TYPES = ['text', 'sync_state', 'int', 'text', 'text', 'timestamptz'];
function syncValues(s: State, zohoId: string, at: string): unknown[] {
  return [
    s.state === 'synced' ? zohoId : null,
    s.state,
    s.state === 'pending' ? 0 : s.state === 'failed' ? 3 : 1,
    s.errorClass ?? null,
    s.error ?? null,
    s.state === 'synced' ? at : null,
  ];
}

/**
 * Demo billing records: per unit of `OPSFLOW_DEMO_SCALE`, 10 customers, each with one subscription, two invoices
 * and one payment, in pending, synced and failed states (failed ones with their error class). Synced records are
 * mirrored into the ZOHO simulator under their ZOHO ids, except the planted KNOWN_MISMATCHES.
 *
 * @example
 * const counts = await seedBilling({ pool, config, log, simulators: { zoho: 'http://127.0.0.1:4020' } });
 */
export const seedBilling: Seeder = async ({ pool, config, log, simulators }) => {
  const now = Date.now();
  const at = new Date(now - DAY).toISOString();
  const count = 10 * config.demoScale;
  const rows = {
    customers: [] as unknown[][],
    subscriptions: [] as unknown[][],
    invoices: [] as unknown[][],
    payments: [] as unknown[][],
  };
  const remote = {
    customers: [] as object[],
    subscriptions: [] as object[],
    invoices: [] as object[],
    payments: [] as object[],
  };

  for (let i = 1; i <= count; i++) {
    const customer = customerState(i);
    const child = (s: State) => (customer.state === 'synced' ? s : pending);
    const [planCode, amount] = PLANS[i % PLANS.length]!;
    const ids = {
      customer: String(460000000000000 + i),
      subscription: String(461000000000000 + i),
      payment: String(463000000000000 + i),
    };
    const reference = `CUS-${pad(i)}`;
    const name = `Demo Customer ${pad(i)}`;
    const email = `billing@customer-${pad(i)}.example`;
    rows.customers.push([reference, name, email, `Customer ${pad(i)} Ltd`, ...syncValues(customer, ids.customer, at)]);
    if (customer.state === 'synced') {
      remote.customers.push({
        customer_id: ids.customer,
        display_name: name,
        email,
        company_name: `Customer ${pad(i)} Ltd`,
        ...referenceFields('customers', reference),
      });
    }

    const subscription = child(synced);
    rows.subscriptions.push([
      `SUB-${pad(i)}`,
      reference,
      planCode,
      amount,
      ...syncValues(subscription, ids.subscription, at),
    ]);
    if (subscription.state === 'synced') {
      remote.subscriptions.push({
        subscription_id: ids.subscription,
        customer_id: ids.customer,
        plan: { plan_code: planCode, price: amount, quantity: 1 },
        ...referenceFields('subscriptions', `SUB-${pad(i)}`),
      });
    }

    for (const k of [1, 2]) {
      const state = child(
        k === 1
          ? synced
          : i % 10 === 4
            ? failed('ValidationFailed', 'HTTP 400 code 4: Invalid value passed for invoice_items')
            : i % 3 === 0
              ? pending
              : synced,
      );
      const invoiceRef = `INV-${pad(i)}-${k}`;
      const zohoId = String(462000000000000 + i * 10 + k);
      const date = isoDay(now - (k === 1 ? 35 : 5) * DAY);
      rows.invoices.push([invoiceRef, reference, `SUB-${pad(i)}`, date, amount, ...syncValues(state, zohoId, at)]);
      if (state.state === 'synced') {
        const mismatch = invoiceRef === KNOWN_MISMATCHES.different.reference;
        const total = mismatch ? KNOWN_MISMATCHES.different.remoteTotal : amount;
        remote.invoices.push({
          invoice_id: zohoId,
          customer_id: ids.customer,
          subscription_id: ids.subscription,
          date,
          invoice_items: [{ name: `${planCode} (${date})`, price: total, quantity: 1 }],
          ...referenceFields('invoices', invoiceRef),
        });
      }
    }

    const paymentRef = `PAY-${pad(i)}`;
    const payment = child(
      i % 10 === 5 ? failed('NotFound', 'HTTP 404 code 1002: Invoice does not exist.') : i % 2 === 0 ? synced : pending,
    );
    const paidOn = isoDay(now - 30 * DAY);
    rows.payments.push([
      paymentRef,
      reference,
      `INV-${pad(i)}-1`,
      paidOn,
      amount,
      ...syncValues(payment, ids.payment, at),
    ]);
    if (payment.state === 'synced' && paymentRef !== KNOWN_MISMATCHES.missingRemotely.reference) {
      remote.payments.push({
        payment_id: ids.payment,
        customer_id: ids.customer,
        payment_mode: 'banktransfer',
        amount,
        date: paidOn,
        invoices: [{ invoice_id: String(462000000000000 + i * 10 + 1), amount_applied: amount }],
        ...referenceFields('payments', paymentRef),
      });
    }
  }
  remote.customers.push({
    customer_id: KNOWN_MISMATCHES.missingLocally.zohoId,
    display_name: 'Remote Only Customer',
    email: 'billing@remote-only.example',
    ...referenceFields('customers', KNOWN_MISMATCHES.missingLocally.reference),
  });

  await insert(
    pool,
    'customers',
    ['reference', 'display_name', 'email', 'company_name', ...SYNC_COLUMNS],
    ['text', 'text', 'text', 'text', ...SYNC_TYPES],
    rows.customers,
  );
  const customerIds = await idsByReference(pool, 'customers');
  const toCustomer = (r: unknown[]) => [r[0], customerIds.get(r[1] as string), ...r.slice(2)];
  await insert(
    pool,
    'subscriptions',
    ['reference', 'customer_id', 'plan_code', 'amount', ...SYNC_COLUMNS],
    ['text', 'bigint', 'text', 'numeric', ...SYNC_TYPES],
    rows.subscriptions.map(toCustomer),
  );
  const subscriptionIds = await idsByReference(pool, 'subscriptions');
  await insert(
    pool,
    'invoices',
    ['reference', 'customer_id', 'subscription_id', 'invoice_date', 'total', ...SYNC_COLUMNS],
    ['text', 'bigint', 'bigint', 'date', 'numeric', ...SYNC_TYPES],
    rows.invoices.map((r) => [...toCustomer(r).slice(0, 2), subscriptionIds.get(r[2] as string), ...r.slice(3)]),
  );
  const invoiceIds = await idsByReference(pool, 'invoices');
  await insert(
    pool,
    'payments',
    ['reference', 'customer_id', 'invoice_id', 'payment_date', 'amount', ...SYNC_COLUMNS],
    ['text', 'bigint', 'bigint', 'date', 'numeric', ...SYNC_TYPES],
    rows.payments.map((r) => [...toCustomer(r).slice(0, 2), invoiceIds.get(r[2] as string), ...r.slice(3)]),
  );

  if (simulators.zoho) {
    for (const [entity, records] of Object.entries(remote)) {
      for (let start = 0; start < records.length; start += SEED_CHUNK) {
        const res = await fetch(`${simulators.zoho}/__sim/seed`, {
          method: 'POST',
          body: JSON.stringify({ [entity]: records.slice(start, start + SEED_CHUNK) }),
        });
        if (!res.ok) throw new Error(`the ZOHO simulator refused the ${entity} seed: HTTP ${res.status}`);
      }
    }
  } else {
    log.warn('no ZOHO simulator running: synced demo billing records are not mirrored remotely');
  }
  return {
    customers: rows.customers.length,
    subscriptions: rows.subscriptions.length,
    invoices: rows.invoices.length,
    payments: rows.payments.length,
    remoteRecords: Object.values(remote).reduce((n, r) => n + r.length, 0),
  };
};
