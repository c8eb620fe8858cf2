import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { zohoPushApi } from '../../src/integrations/zoho/push.js';
import type { LocalRecord } from '../../src/backfill/records.js';
import { createZohoClient } from '../../src/integrations/zoho/index.js';
import { ZOHO_ENTITIES } from '../../src/integrations/zoho/types.js';
import { startZohoSimulator, type ZohoSimulator } from '../../src/simulators/zoho/index.js';
import { DEMO_CREDENTIALS } from '../../src/simulators/zoho/state.js';
import { startTestEnv, type TestEnv } from '../harness.js';
import { ORG, simControl } from '../zoho-helpers.js';
import { assertValid, zohoSpec } from '../zoho-spec.js';

/** One call Opsflow's client made to the API host, as it went over the wire. */
interface Exchange {
  method: string;
  path: string;
  request?: Record<string, unknown>;
  status: number;
  // Answers are read freely here; their shape is what the schemas check.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: Record<string, any>;
}

/**
 * Fields the spec's request schemas mark required that Opsflow leaves out on purpose, and the API accepts without
 * (the same relaxations as the request types in src/integrations/zoho/types.ts). `*` stands for any array index.
 */
const REQUIRED_BUT_OMITTED: Record<string, string[]> = {
  'create-a-customer-request': ['/tax_authority_id', '/tax_authority_name'],
  'update-a-customer-request': ['/tax_authority_id', '/tax_authority_name'],
  'create-a-subscription-request': ['/customer', '/card_id', '/account_id', '/plan/tax_id'],
  'update-a-subscription-request': ['/card_id', '/account_id', '/plan/tax_id'],
  // `rate` is required but not even a property of the spec's own line item (which has `price`).
  'create-an-invoice-request': ['/invoice_items/*/product_id', '/invoice_items/*/rate'],
  'update-an-invoice-request': ['/invoice_items/*/product_id', '/invoice_items/*/rate'],
};

/** Fields Opsflow's backfill sends that the spec's request schemas do not define. Any other is a failure. */
const SENT_OUTSIDE_THE_SPEC: Record<string, string[]> = {
  'create-a-subscription-request': ['currency_code', 'status'],
  'update-a-subscription-request': ['currency_code', 'status'],
  'create-an-invoice-request': ['currency_code', 'subscription_id'],
  'update-an-invoice-request': ['currency_code', 'subscription_id'],
};

const PAGE_CONTEXT_FIELDS = [
  'applied_filter',
  'has_more_page',
  'page',
  'per_page',
  'report_name',
  'sort_column',
  'sort_order',
];

describe('ZOHO simulator answers as the vendor does', () => {
  let env: TestEnv;
  let sim: string;
  const spec = zohoSpec();
  const control = () => simControl(sim);

  before(async () => {
    env = await startTestEnv({ workers: false, zohoSimulator: true });
    sim = env.zohoSimulator!.url;
  });
  after(() => env.stop());
  beforeEach(() => control().reset());

  /** Opsflow's own client, with every API call it makes recorded. */
  const recordingClient = () => {
    const exchanges: Exchange[] = [];
    const recording: typeof fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const res = await fetch(input, init);
      if (url.pathname.startsWith('/billing/v1/')) {
        exchanges.push({
          method: init?.method ?? 'GET',
          path: url.pathname.slice('/billing/v1'.length),
          request: typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : undefined,
          status: res.status,
          body: (await res.clone().json()) as Record<string, unknown>,
        });
      }
      return res;
    };
    return {
      zoho: createZohoClient({ config: env.config, pool: env.pool, log: env.log, fetch: recording }),
      exchanges,
    };
  };

  const assertPageContext = (body: Exchange['body'], what: string) => {
    const context = body.page_context as Record<string, unknown>;
    assert.deepEqual(Object.keys(context).sort(), PAGE_CONTEXT_FIELDS, `${what}: page_context fields`);
    for (const name of PAGE_CONTEXT_FIELDS)
      assertValid(spec.field(name), context[name], `${what}: page_context.${name}`);
  };

  /** The request body in the spec's request schema, allowing only the documented omissions and extra fields. */
  const assertRequest = (
    schemaName: string,
    entity: Parameters<typeof spec.schema>[0],
    body: unknown,
    what: string,
  ) => {
    const validate = spec.schema(entity, schemaName);
    validate(body);
    const errors = (validate.errors ?? []).filter((e) => {
      if (e.keyword !== 'required') return true;
      const missing = `${e.instancePath.replace(/\/\d+/g, '/*')}/${String(e.params.missingProperty)}`;
      return !(REQUIRED_BUT_OMITTED[schemaName] ?? []).includes(missing);
    });
    assert.deepEqual(errors, [], `${what}: ${JSON.stringify(body)}`);
    const defined = Object.keys((validate.schema as { properties?: object }).properties ?? {});
    const extra = Object.keys(body as object).filter((k) => !defined.includes(k));
    assert.deepEqual(extra.sort(), SENT_OUTSIDE_THE_SPEC[schemaName] ?? [], `${what}: fields outside the spec`);
  };

  it("answers every call Opsflow makes in the spec's shapes, and Opsflow's requests follow the spec", async () => {
    const { zoho, exchanges } = recordingClient();
    const push = zohoPushApi(zoho);
    const ref = randomUUID().slice(0, 8);
    const records: Record<(typeof ZOHO_ENTITIES)[number], LocalRecord> = {
      customers: {
        id: 1,
        reference: `CUS-${ref}`,
        zoho_id: null,
        display_name: 'Bowman Furniture',
        email: 'ops@bowman.test',
        company_name: 'Bowman',
      },
      subscriptions: {
        id: 2,
        reference: `SUB-${ref}`,
        zoho_id: null,
        status: 'live',
        currency: 'USD',
        plan_code: 'basic-monthly',
        amount: '49.00',
      },
      invoices: {
        id: 3,
        reference: `INV-${ref}`,
        zoho_id: null,
        invoice_date: '2026-11-01',
        currency: 'USD',
        total: '49.00',
      },
      payments: {
        id: 4,
        reference: `PAY-${ref}`,
        zoho_id: null,
        amount: '49.00',
        payment_date: '2026-11-02',
        payment_mode: 'banktransfer',
      },
    };

    await zoho.listOrganizations();
    const ids: Record<string, string> = {};
    for (const entity of ZOHO_ENTITIES) {
      const record = {
        ...records[entity],
        customer_zoho_id: ids.customers,
        subscription_zoho_id: ids.subscriptions,
        invoice_zoho_id: ids.invoices,
      };
      assert.equal(await push.findByReference(entity, record), undefined);
      ids[entity] = await push.create(entity, record);
      assert.equal(await push.findByReference(entity, record), ids[entity]);
      await push.update(entity, ids[entity], record);
      await push.listPage(entity, 1, 200);
      await zoho[entity].get(ids[entity]);
      for await (const page of zoho[entity].iterate({ perPage: 1 })) assert.ok(page.items.length <= 1);
    }

    const seen = new Set<string>();
    for (const x of exchanges) {
      const what = `${x.method} ${x.path}`;
      assert.ok(x.status < 300 && x.body.code === 0, `${what} succeeded: ${JSON.stringify(x.body)}`);
      if (x.path === '/organizations') {
        // Not in the published specs: the fields Opsflow reads.
        for (const o of x.body.organizations)
          assert.deepEqual([typeof o.organization_id, typeof o.name], ['string', 'string']);
        continue;
      }
      if (x.method === 'GET' && x.path === '/payments') {
        // The payments spec documents no list call; the API lists payment records.
        for (const item of x.body.payments) assertValid(spec.schema('payments', 'payment-response'), item, what);
        assertPageContext(x.body, what);
        continue;
      }
      const op = spec.operationOf(x.method, x.path);
      assert.ok(op, `${what} is an operation of the spec`);
      assertValid(op.response(x.status), x.body, what);
      if (op.requestSchema) assertRequest(op.requestSchema, op.entity, x.request, what);
      if (x.method === 'GET' && op.template === `/${op.entity}`) assertPageContext(x.body, what);
      seen.add(`${x.method} ${op.template}`);
    }
    // Every call Opsflow makes on an entity (the payments list aside) was checked.
    for (const entity of ZOHO_ENTITIES) {
      const one = `/${entity}/{${entity.slice(0, -1)}_id}`;
      const calls = [
        `POST /${entity}`,
        `PUT ${one}`,
        `GET ${one}`,
        ...(entity === 'payments' ? [] : [`GET /${entity}`]),
      ];
      for (const call of calls) assert.ok(seen.has(call), `${call} was called and checked`);
    }
  });

  it('pages lists with page_context: page, per_page, has_more_page, report_name and the filter applied', async () => {
    await control().seed({
      customers: Array.from({ length: 3 }, (_, i) => ({ display_name: `C${i}`, email: `c${i}@x.test` })),
    });
    const { zoho, exchanges } = recordingClient();
    const pages = [];
    for await (const page of zoho.customers.iterate({ perPage: 2 })) pages.push(page.items.length);
    assert.deepEqual(pages, [2, 1]);
    assert.deepEqual(
      exchanges.map((x) => x.body.page_context),
      [1, 2].map((page) => ({
        page,
        per_page: 2,
        has_more_page: page === 1,
        applied_filter: 'Status.All',
        sort_column: 'created_time',
        sort_order: 'A',
        report_name: 'Customers',
      })),
    );
  });

  describe('error envelopes', () => {
    let token: string;
    beforeEach(async () => {
      token = ((await grant({})).body as { access_token: string }).access_token;
    });
    type Answer = { status: number; body: Record<string, unknown> };
    const call = async (method: string, path: string, init: { body?: string; type?: string } = {}): Promise<Answer> => {
      const res = await fetch(`${sim}/billing/v1${path}`, {
        method,
        headers: {
          authorization: `Zoho-oauthtoken ${token}`,
          'X-com-zoho-subscriptions-organizationid': ORG,
          ...(init.type ? { 'content-type': init.type } : {}),
        },
        body: init.body,
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const json = (body: unknown) => ({ body: JSON.stringify(body), type: 'application/json' });
    const envelope = (status: number, code: number, message?: string) => (answer: Answer) => {
      assert.equal(answer.status, status);
      assertValid(spec.schema('customers', 'delete-a-customer-response'), answer.body);
      assert.equal(answer.body.code, code);
      if (message) assert.ok((answer.body.message as string).includes(message), `${String(answer.body.message)}`);
    };

    it('refuses a field of the wrong type with 400 and code 4 naming the field, never with a 500', async () => {
      const customer = await call('POST', '/customers', json({ display_name: 'A', email: 'a@x.test' }));
      const customerId = (customer.body.customer as { customer_id: string }).customer_id;
      const bodies = {
        custom_fields: { display_name: 'A', email: 'a@x.test', custom_fields: 'Reference' },
        plan: { customer_id: customerId, plan: 'basic-monthly' },
        invoice_items: { customer_id: customerId, date: '2026-11-01', invoice_items: { name: 'x' } },
        invoices: { customer_id: customerId, payment_mode: 'cash', amount: 5, invoices: 'all' },
      };
      const paths = {
        custom_fields: '/customers',
        plan: '/subscriptions',
        invoice_items: '/invoices',
        invoices: '/payments',
      };
      for (const [field, body] of Object.entries(bodies) as Array<[keyof typeof paths, unknown]>) {
        envelope(400, 4, `Invalid value passed for ${field}`)(await call('POST', paths[field], json(body)));
      }
    });

    it('takes the body as a JSONString form field, url-encoded or multipart, and refuses a malformed one', async () => {
      const body = JSON.stringify({ display_name: 'Form', email: 'form@x.test' });
      const encoded = await call('POST', '/customers', {
        body: new URLSearchParams({ JSONString: body }).toString(),
        type: 'application/x-www-form-urlencoded',
      });
      assert.equal(encoded.status, 201);
      const form = new FormData();
      form.set('JSONString', body);
      const multipart = await fetch(`${sim}/billing/v1/customers`, {
        method: 'POST',
        headers: { authorization: `Zoho-oauthtoken ${token}`, 'X-com-zoho-subscriptions-organizationid': ORG },
        body: form,
      });
      assert.equal(multipart.status, 201);
      envelope(400, 4, 'JSONString')(await call('POST', '/customers', json('{"display_name":')));
      envelope(400, 4, 'JSONString')(await call('POST', '/customers', { body: '{', type: 'application/json' }));
    });

    it('answers 404 code 1002 for a missing record, 404 code 5 for an unknown URL and 500 code 1000 for a failure', async () => {
      envelope(404, 1002, 'Invoice does not exist.')(await call('GET', '/invoices/404404'));
      envelope(404, 5, 'Invalid URL Passed')(await call('GET', '/estimates'));
      await control().faults({ rate5xx: 1 });
      envelope(500, 1000, 'Internal error')(await call('GET', '/customers'));
    });

    it('answers 401 code 57 for an expired or unknown token', async () => {
      await control().tokens({ expireAccessTokens: true });
      envelope(401, 57, 'not authorized')(await call('GET', '/customers'));
      token = 'nonsense';
      envelope(401, 57)(await call('GET', '/customers'));
    });
  });

  /** The refresh grant on the accounts host, parameters in the form body (as Opsflow sends them) or the query. */
  const grant = async (change: Record<string, string>, where: 'form' | 'query' = 'form', url = sim) => {
    const params = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: DEMO_CREDENTIALS.clientId,
      client_secret: DEMO_CREDENTIALS.clientSecret,
      refresh_token: DEMO_CREDENTIALS.refreshToken,
      ...change,
    });
    const res = await fetch(`${url}/oauth/v2/token${where === 'query' ? `?${params}` : ''}`, {
      method: 'POST',
      ...(where === 'form' ? { body: params } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  describe('the accounts host', () => {
    it('grants an access token for a refresh token: access_token, api_domain, token_type and expires_in', async () => {
      for (const where of ['form', 'query'] as const) {
        const { status, body } = await grant({}, where);
        assert.equal(status, 200);
        assert.deepEqual(Object.keys(body).sort(), ['access_token', 'api_domain', 'expires_in', 'token_type']);
        assert.match(body.access_token as string, /^1000\.[0-9a-f]+\.[0-9a-f]+$/);
        assert.deepEqual([body.api_domain, body.token_type, body.expires_in], [sim, 'Bearer', 3600]);
      }
    });

    it('refuses with HTTP 200 and the error the vendor names', async () => {
      const refusals = [
        [{ client_id: 'someone-else' }, 'invalid_client'],
        [{ client_secret: 'wrong' }, 'invalid_client_secret'],
        [{ refresh_token: '1000.spent.token' }, 'invalid_code'],
        [{ grant_type: 'authorization_code' }, 'unsupported_grant_type'],
      ] as const;
      for (const [change, error] of refusals) assert.deepEqual(await grant(change), { status: 200, body: { error } });
      await control().tokens({ revokeRefreshToken: true });
      assert.deepEqual(await grant({}), { status: 200, body: { error: 'invalid_code' } });
    });

    it('refuses more than its tokens per refresh token per window as Access Denied', async () => {
      await control().limits({ tokensPerWindow: 2 });
      assert.ok((await grant({})).body.access_token);
      assert.ok((await grant({})).body.access_token);
      const refused = await grant({});
      assert.equal(refused.body.error, 'Access Denied');
      assert.match(refused.body.error_description as string, /too many requests/);
      assert.equal((await control().stats()).tokens.refused, 1);
    });
  });

  describe('limits per organization', () => {
    const OTHER = '20987654';
    let own: ZohoSimulator;
    let token: string;
    before(async () => {
      own = await startZohoSimulator({
        port: 0,
        log: env.log,
        limits: { perMinute: 2, windowSeconds: 1 },
        organizations: [
          { organization_id: ORG, name: 'Ops', currency_code: 'USD' },
          { organization_id: OTHER, name: 'Other', currency_code: 'EUR' },
        ],
      });
      token = (await grant({}, 'form', own.url)).body.access_token as string;
    });
    after(() => own.stop());
    beforeEach(() => simControl(own.url).reset());

    const list = async (org: string) => {
      const res = await fetch(`${own.apiBaseUrl}/customers`, {
        headers: { authorization: `Zoho-oauthtoken ${token}`, 'X-com-zoho-subscriptions-organizationid': org },
      });
      return {
        status: res.status,
        retryAfter: Number(res.headers.get('retry-after')),
        body: (await res.json()) as { code: number; message: string },
      };
    };

    it('refuses the call past the per-minute limit with 429 code 44 until the window ends, per organization', async () => {
      assert.deepEqual([(await list(ORG)).status, (await list(ORG)).status], [200, 200]);
      const refused = await list(ORG);
      assert.deepEqual([refused.status, refused.body.code, refused.retryAfter], [429, 44, 1]);
      assert.match(refused.body.message, /per minute/);
      assert.equal((await list(OTHER)).status, 200, 'another organization has its own window');
      // The window ends by the clock: wait for the state (an admitted call), not for a guessed time.
      const deadline = Date.now() + 5_000;
      let again = await list(ORG);
      while (again.status === 429 && Date.now() < deadline) again = await list(ORG);
      assert.equal(again.status, 200);
    });

    it('refuses every call past the per-day limit with 429 code 45 until the next UTC day, per organization', async () => {
      await simControl(own.url).limits({ perMinute: 100, perDay: 3 });
      for (let i = 0; i < 3; i++) assert.equal((await list(ORG)).status, 200);
      const refused = await list(ORG);
      assert.deepEqual([refused.status, refused.body.code], [429, 45]);
      assert.match(refused.body.message, /for the day/);
      const midnight = new Date();
      midnight.setUTCHours(24, 0, 0, 0);
      assert.ok(
        Math.abs(Date.now() + refused.retryAfter * 1000 - midnight.getTime()) < 2_000,
        'Retry-After: next UTC day',
      );
      assert.equal((await list(OTHER)).status, 200, 'another organization has its own day');
      const stats = await simControl(own.url).stats();
      assert.equal(stats.rateLimited['45'], 1);
    });
  });
});
