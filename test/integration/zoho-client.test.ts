import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ErrorClass, IntegrationError } from '../../src/integrations/errors.js';
import { createZohoClient, referenceFields, type ZohoClient } from '../../src/integrations/zoho/index.js';
import { startTestEnv, type TestEnv } from '../harness.js';
import { simControl } from '../zoho-helpers.js';

/** Runs `call` and returns the IntegrationError it fails with. */
async function failure(call: () => Promise<unknown>): Promise<IntegrationError> {
  try {
    await call();
  } catch (err) {
    assert.ok(err instanceof IntegrationError, `expected an IntegrationError, got ${String(err)}`);
    return err;
  }
  assert.fail('the call succeeded');
}

describe('ZOHO client against the simulator', () => {
  let env: TestEnv;
  let zoho: ZohoClient;
  const control = () => simControl(env.zohoSimulator!.url);
  /** A client as another worker process would have it: same database, its own memory. */
  const anotherWorker = () => createZohoClient({ config: env.config, pool: env.pool, log: env.log });

  before(async () => {
    env = await startTestEnv({ workers: false, zohoSimulator: true });
    zoho = env.zoho;
  });
  after(() => env.stop());
  beforeEach(() => control().reset());

  it('finds a record by its reference before creating it, for every entity', async () => {
    const customer = await zoho.customers.create({
      display_name: 'Acme',
      email: 'ops@acme.test',
      ...referenceFields('customers', 'CUS-7'),
    });
    const subscription = await zoho.subscriptions.create({
      customer_id: customer.customer_id,
      plan: { plan_code: 'pro', price: 99, quantity: 1 },
      ...referenceFields('subscriptions', 'SUB-7'),
    });
    await zoho.subscriptions.create({
      customer_id: customer.customer_id,
      plan: { plan_code: 'pro', price: 99, quantity: 1 },
      ...referenceFields('subscriptions', 'SUB-77'),
    });
    const invoice = await zoho.invoices.create({
      customer_id: customer.customer_id!,
      date: '2026-11-01',
      invoice_items: [{ name: 'Pro', price: '99', quantity: 1 }],
      ...referenceFields('invoices', 'INV-7'),
    });
    const payment = await zoho.payments.create({
      customer_id: customer.customer_id!,
      payment_mode: 'banktransfer',
      amount: 99,
      ...referenceFields('payments', 'PAY-7'),
    });
    assert.equal((await zoho.customers.findByReference('CUS-7'))?.customer_id, customer.customer_id);
    // reference_contains would also match SUB-77: only the exact reference counts.
    assert.equal((await zoho.subscriptions.findByReference('SUB-7'))?.subscription_id, subscription.subscription_id);
    assert.equal((await zoho.invoices.findByReference('INV-7'))?.invoice_id, invoice.invoice_id);
    assert.equal((await zoho.payments.findByReference('PAY-7'))?.payment_id, payment.payment_id);
    assert.equal(await zoho.customers.findByReference('CUS-unknown'), undefined);

    const updated = await zoho.invoices.update(invoice.invoice_id!, {
      invoice_items: [{ name: 'Pro', price: '120', quantity: 1 }],
    });
    assert.equal(updated.total, 120);
    assert.equal((await zoho.invoices.get(invoice.invoice_id!)).total, 120);
  });

  it('iterates pages until has_more_page is false', async () => {
    await control().seed({
      customers: Array.from({ length: 5 }, (_, i) => ({ display_name: `C${i}`, email: `c${i}@x.test` })),
    });
    const pages = [];
    for await (const page of zoho.customers.iterate({ perPage: 2 })) pages.push(page.items.length);
    assert.deepEqual(pages, [2, 2, 1]);
  });

  it('classifies every error the simulator produces', async () => {
    const notFound = await failure(() => zoho.invoices.get('404404'));
    assert.deepEqual([notFound.errorClass, notFound.status, notFound.vendorCode], [ErrorClass.NotFound, 404, 1002]);

    const invalid = await failure(() => zoho.customers.create({ display_name: 'No email', email: '' }));
    assert.deepEqual([invalid.errorClass, invalid.status], [ErrorClass.ValidationFailed, 400]);

    await control().faults({ rate5xx: 1 });
    assert.equal((await failure(() => zoho.customers.listPage())).errorClass, ErrorClass.ServerError);
    await control().faults({ rate5xx: 0, outage: true });
    assert.equal((await failure(() => zoho.customers.listPage())).errorClass, ErrorClass.NetworkError);
    await control().reset();

    await control().limits({ perMinute: 1, windowSeconds: 30 });
    await zoho.customers.listPage();
    const perMinute = await failure(() => zoho.customers.listPage());
    assert.equal(perMinute.errorClass, ErrorClass.RateLimited);
    assert.equal(perMinute.vendorCode, 44);
    assert.ok(perMinute.retryAfterMs! > 25_000 && perMinute.retryAfterMs! <= 30_000, `${perMinute.retryAfterMs}`);

    await control().limits({ perMinute: 150, concurrent: 1 });
    await control().faults({ latencyMs: 300 });
    const outcomes = await Promise.allSettled([zoho.customers.listPage(), zoho.customers.listPage()]);
    const concurrent = outcomes.find((o) => o.status === 'rejected')?.reason as IntegrationError;
    assert.equal(concurrent.errorClass, ErrorClass.RateLimited);
    assert.equal(concurrent.vendorCode, 1070);
    await control().faults({ latencyMs: 0 });

    // A rejected access token is replaced once; a refresh token that no longer works is AuthFailed.
    await control().tokens({ expireAccessTokens: true });
    const granted = (await control().stats()).tokens.granted;
    await zoho.customers.listPage();
    assert.equal((await control().stats()).tokens.granted, granted + 1);
    await control().tokens({ expireAccessTokens: true, revokeRefreshToken: true });
    const auth = await failure(() => zoho.customers.listPage());
    assert.equal(auth.errorClass, ErrorClass.AuthFailed);
    assert.equal(auth.permanent, true);
    await control().tokens({ revokeRefreshToken: false });
  });

  it('gives N concurrent callers on several workers exactly one token refresh, stored encrypted', async () => {
    await env.pool.query('DELETE FROM zoho_access_tokens');
    await control().tokens({ expireAccessTokens: true });
    const workers = [anotherWorker(), anotherWorker(), anotherWorker()];
    const before = (await control().stats()).tokens.granted;
    await Promise.all(workers.flatMap((w) => Array.from({ length: 5 }, () => w.customers.listPage({ perPage: 1 }))));
    assert.equal((await control().stats()).tokens.granted - before, 1);

    const { rows } = await env.pool.query(
      'SELECT access_token_enc, token_key_id, refresh_count FROM zoho_access_tokens',
    );
    assert.equal(rows.length, 1);
    assert.ok(rows[0].token_key_id);
    assert.ok(!rows[0].access_token_enc.toString('latin1').includes('1000.'), 'the token is not stored in clear');
  });

  it('stops calling once the daily quota is exhausted, until it resets', async () => {
    const client = anotherWorker();
    await control().limits({ perDay: 2 });
    await client.customers.listPage();
    await client.customers.listPage();
    const quota = await failure(() => client.customers.listPage());
    assert.equal(quota.errorClass, ErrorClass.QuotaExhausted);
    assert.equal(quota.vendorCode, 45);
    assert.ok(Date.parse(quota.resumeAt!) > Date.now(), 'resumes in the future');
    const midnight = new Date();
    midnight.setUTCHours(24, 0, 0, 0);
    assert.ok(
      Math.abs(Date.parse(quota.resumeAt!) - midnight.getTime()) < 2000,
      `${quota.resumeAt} is the next UTC day`,
    );
    const calls = (await control().stats()).requests.total;
    for (let i = 0; i < 5; i++) {
      assert.equal((await failure(() => client.customers.listPage())).errorClass, ErrorClass.QuotaExhausted);
    }
    assert.equal((await control().stats()).requests.total, calls, 'no call reached ZOHO after the quota ran out');
  });

  it("counts calls, rate-limit hits and errors in today's api_usage", async () => {
    const read = async () =>
      (
        await env.pool.query(
          `SELECT calls, rate_limit_hits, errors FROM api_usage WHERE integration = 'zoho' AND day = (now() AT TIME ZONE 'UTC')::date`,
        )
      ).rows[0] ?? { calls: 0, rate_limit_hits: 0, errors: 0 };
    // A first call settles the token (an earlier test expired it), so the counted calls below are exactly three.
    await zoho.customers.listPage();
    const start = await read();
    await zoho.customers.listPage();
    await failure(() => zoho.invoices.get('missing'));
    await control().limits({ perMinute: 0 });
    await failure(() => zoho.customers.listPage());
    const end = await read();
    assert.deepEqual(
      [end.calls - start.calls, end.rate_limit_hits - start.rate_limit_hits, end.errors - start.errors],
      [3, 1, 2],
    );
  });
});
