import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startTestEnv, type TestEnv } from '../harness.js';
import { ORG, simControl } from '../zoho-helpers.js';
import { assertValid, zohoSpec, type ZohoSpecEntity } from '../zoho-spec.js';

describe('ZOHO simulator against the official specs', () => {
  let env: TestEnv;
  let sim: string;
  let token: string;
  const { schema } = zohoSpec();
  const control = () => simControl(sim);

  before(async () => {
    env = await startTestEnv({ workers: false, zohoSimulator: true });
    sim = env.zohoSimulator!.url;
    const res = await fetch(
      `${sim}/oauth/v2/token?${new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: env.config.zoho.clientId,
        client_secret: env.config.zoho.clientSecret,
        refresh_token: env.config.zoho.refreshToken,
      })}`,
      { method: 'POST' },
    );
    token = ((await res.json()) as { access_token: string }).access_token;
  });
  after(() => env.stop());
  beforeEach(() => control().reset());

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${sim}/billing/v1${path}`, {
      method,
      headers: {
        authorization: `Zoho-oauthtoken ${token}`,
        'X-com-zoho-subscriptions-organizationid': ORG,
        'content-type': 'application/json',
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // Answers are read freely here; their shape is what the schemas check.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
  };

  /** Creates a record with POST, expects a 201 in the spec's create answer shape and returns the answer's body. */
  const create = async (entity: ZohoSpecEntity, body: unknown, answerSchema: string) => {
    const created = await call('POST', `/${entity}`, body);
    assert.equal(created.status, 201, `POST ${entity}`);
    assertValid(schema(entity, answerSchema), created.body);
    return created.body;
  };

  /** ZOHO's error envelope: the spec's `{code, message}` answer shape, with a non-zero code. */
  const validError = (answer: { body: Record<string, unknown> }, code: number) => {
    assertValid(schema('customers', 'delete-a-customer-response'), answer.body);
    assert.equal(answer.body.code, code);
    assert.equal(typeof answer.body.message, 'string');
  };

  it('answers create, list, get and update of every entity in the spec shapes', async () => {
    const customer = await create(
      'customers',
      {
        display_name: 'Bowman Furniture',
        email: 'ops@bowman.test',
        company_name: 'Bowman',
        custom_fields: [{ label: 'Reference', value: 'CUS-1' }],
      },
      'create-a-customer-response',
    );
    const customerId = customer.customer.customer_id as string;
    const subscription = await create(
      'subscriptions',
      { customer_id: customerId, reference_id: 'SUB-1', plan: { plan_code: 'basic-monthly', price: 49, quantity: 1 } },
      'create-a-subscription-response',
    );
    const invoice = await create(
      'invoices',
      {
        customer_id: customerId,
        reference_number: 'INV-1',
        date: '2026-11-01',
        invoice_items: [{ name: 'Basic plan', price: 49, quantity: 1 }],
      },
      'create-an-invoice-response',
    );
    const invoiceId = invoice.invoice.invoice_id as string;
    const payment = await create(
      'payments',
      {
        customer_id: customerId,
        payment_mode: 'banktransfer',
        amount: 49,
        reference_number: 'PAY-1',
        invoices: [{ invoice_id: invoiceId, amount_applied: 49 }],
      },
      'create-a-payment-response',
    );

    const lists = {
      customers: 'list-all-customers-response',
      subscriptions: 'list-all-subscriptions-response',
      invoices: 'list-all-invoices-response',
    } as const;
    for (const [entity, name] of Object.entries(lists) as Array<[keyof typeof lists, string]>) {
      const list = await call('GET', `/${entity}?page=1&per_page=10`);
      assert.equal(list.status, 200);
      assertValid(schema(entity, name), list.body);
      assert.equal(list.body[entity].length, 1);
      assert.equal(list.body.page_context.has_more_page, false);
    }
    // The payments spec documents no list call; its items are payment records.
    const payments = await call('GET', '/payments');
    for (const item of payments.body.payments) assertValid(schema('payments', 'payment-response'), item);

    const reads = [
      [
        'customers',
        customerId,
        'retrieve-a-customer-response',
        { display_name: 'Bowman & Co' },
        'update-a-customer-response',
      ],
      [
        'subscriptions',
        subscription.subscription.subscription_id,
        'retrieve-a-subscription-response',
        { reference_id: 'SUB-1b' },
        'update-a-subscription-response',
      ],
      ['invoices', invoiceId, 'get-an-invoice-response', { reference_number: 'INV-1b' }, 'update-an-invoice-response'],
      [
        'payments',
        payment.payment.payment_id,
        'retrieve-a-payment-response',
        { description: 'wire' },
        'update-a-payment-response',
      ],
    ] as const;
    for (const [entity, id, readSchema, change, updateSchema] of reads) {
      const read = await call('GET', `/${entity}/${id}`);
      assert.equal(read.status, 200, `GET ${entity}`);
      assertValid(schema(entity, readSchema), read.body);
      const updated = await call('PUT', `/${entity}/${id}`, change);
      assert.equal(updated.status, 200, `PUT ${entity}`);
      assertValid(schema(entity, updateSchema), updated.body);
    }
  });

  it('pages lists with page, per_page (at most 200) and page_context.has_more_page', async () => {
    await control().seed({
      customers: Array.from({ length: 5 }, (_, i) => ({ display_name: `C${i}`, email: `c${i}@x.test` })),
    });
    const first = await call('GET', '/customers?page=1&per_page=2');
    const last = await call('GET', '/customers?page=3&per_page=2');
    assert.deepEqual([first.body.customers.length, first.body.page_context.has_more_page], [2, true]);
    assert.deepEqual([last.body.customers.length, last.body.page_context.has_more_page], [1, false]);
    validError(await call('GET', '/customers?per_page=201'), 4);
  });

  it('answers errors with the vendor codes in the spec envelope', async () => {
    const unauthorized = await call('GET', '/customers', undefined, { authorization: 'Zoho-oauthtoken expired' });
    assert.equal(unauthorized.status, 401);
    validError(unauthorized, 57);

    const missing = await call('GET', '/invoices/1');
    assert.equal(missing.status, 404);
    validError(missing, 1002);

    const invalid = await call('POST', '/customers', { display_name: 'No email' });
    assert.equal(invalid.status, 400);
    validError(invalid, 4);

    await control().faults({ rate5xx: 1 });
    const failed = await call('GET', '/customers');
    assert.equal(failed.status, 500);
    validError(failed, 1000);
    await control().faults({ rate5xx: 0 });

    await control().limits({ perMinute: 1 });
    await call('GET', '/customers');
    const perMinute = await call('GET', '/customers');
    assert.equal(perMinute.status, 429);
    assert.ok(Number(perMinute.headers.get('retry-after')) > 0);
    validError(perMinute, 44);

    await control().limits({ perMinute: 100, perDay: 0 });
    const daily = await call('GET', '/customers');
    assert.equal(daily.status, 429);
    validError(daily, 45);

    await control().limits({ perDay: 100, concurrent: 1 });
    await control().faults({ latencyMs: 300 });
    const [a, b] = await Promise.all([call('GET', '/customers'), call('GET', '/customers')]);
    const refused = [a, b].find((r) => r.status === 429);
    assert.ok(refused, 'one of two concurrent calls is refused');
    validError(refused, 1070);
  });

  it('refuses bad refresh grants with HTTP 200 and an error field, as the accounts host does', async () => {
    const res = await fetch(`${sim}/oauth/v2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: env.config.zoho.clientId,
        client_secret: env.config.zoho.clientSecret,
        refresh_token: 'not-a-token',
      }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { error: 'invalid_code' });
  });

  it('counts a create whose reference is already taken as a duplicate create', async () => {
    const body = {
      display_name: 'Dup',
      email: 'dup@x.test',
      custom_fields: [{ label: 'Reference', value: 'CUS-DUP' }],
    };
    await call('POST', '/customers', body);
    await call('POST', '/customers', body);
    const stats = await control().stats();
    assert.equal(stats.duplicateCreates.total, 1);
    assert.equal(stats.records.customers, 2);
  });
});
