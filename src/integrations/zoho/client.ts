import type { Config } from '../../config.js';
import type { Pool } from '../../db/pool.js';
import type { Logger } from '../../logger.js';
import { createCallBudget, type CallBudget } from '../call-budget.js';
import { loadKeyring, type Keyring } from '../crypto.js';
import { ErrorClass, IntegrationError } from '../errors.js';
import { createZohoAccessTokens, type ZohoAccessTokens } from './access-token.js';
import { classifyZohoResponse, networkError, type ZohoEnvelope } from './classify.js';
import { referenceOfItem, ZOHO_ENTITY } from './reference.js';
import { ZOHO_ENTITIES, type ZohoEntity, type ZohoOrganization, type ZohoPage, type ZohoShapes } from './types.js';
import { countZohoCall } from './usage.js';

/** ZOHO's largest page. */
export const ZOHO_MAX_PER_PAGE = 200;

/** Query filters a list call passes through (e.g. `customer_id`, `filter_by`, `reference_number`). */
export type ZohoFilters = Record<string, string>;

/** The calls Opsflow makes on one ZOHO entity. Every failure is an `IntegrationError`. */
export interface ZohoEntityApi<E extends ZohoEntity> {
  /** One page (1-based, `perPage` ≤ 200) of list items; `hasMorePage` from `page_context.has_more_page`. */
  listPage(options?: {
    page?: number;
    perPage?: number;
    filters?: ZohoFilters;
  }): Promise<ZohoPage<ZohoShapes[E]['list']>>;
  /** Every page in turn, from `page` 1, one call per page. */
  iterate(options?: { perPage?: number; filters?: ZohoFilters }): AsyncGenerator<ZohoPage<ZohoShapes[E]['list']>>;
  /** The full record. NotFound when it does not exist. */
  get(id: string): Promise<ZohoShapes[E]['record']>;
  /** Creates a record. Put our reference on it (`referenceFields` in reference.ts) so a retry can find it instead of re-creating. */
  create(body: ZohoShapes[E]['create']): Promise<ZohoShapes[E]['record']>;
  /** Changes the given fields of a record. */
  update(id: string, body: ZohoShapes[E]['update']): Promise<ZohoShapes[E]['record']>;
  /**
   * The list item carrying our `reference` (see ZOHO_ENTITY), or undefined: one list call. Use it before
   * `create` so a retried or replayed create never makes a second record.
   */
  findByReference(reference: string): Promise<ZohoShapes[E]['list'] | undefined>;
}

/** A typed ZOHO Billing v1 client. */
export type ZohoClient = { [E in ZohoEntity]: ZohoEntityApi<E> } & {
  /** Organizations the credentials reach (no organization header). */
  listOrganizations(): Promise<ZohoOrganization[]>;
  /** The configured organization id (`ZOHO_ORGANIZATION_ID`). */
  organizationId: string;
  /**
   * Any other organization-scoped call (path under the API base), with the same token, classification and
   * usage counting as the typed methods; answers the parsed body.
   */
  call(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    options?: { query?: Record<string, string | number>; json?: unknown },
  ): Promise<Record<string, unknown>>;
};

const REFERENCE_FILTER = {
  customers: 'cf_reference',
  subscriptions: 'reference_contains',
  invoices: 'reference_number',
  payments: 'reference_number',
} as const satisfies Record<ZohoEntity, string>;

interface Call {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  query?: Record<string, string | number>;
  body?: unknown;
  organization?: boolean;
}

/**
 * Creates the ZOHO Billing v1 client: base URLs and data center from config, the refresh grant on the accounts
 * host, one shared access token (see access-token.ts), the organization header, every failure classified into an
 * `IntegrationError`, and every call counted in `api_usage`. Every call first books a slot in the organization's
 * call budget (`ZOHO_CALLS_PER_MINUTE`, shared by all workers through PostgreSQL; see call-budget.ts), so
 * concurrent backfills, reconciliations and runbooks together stay under the vendor's per-minute limit; a
 * backfill's `maxRequestsPerMinute` is a per-run cap below it. After a daily-quota refusal it makes no further
 * calls until the quota resets, so nothing hammers an exhausted quota.
 *
 * @example
 * const zoho = createZohoClient({ config, pool, log });
 * const existing = await zoho.customers.findByReference('CUS-0001');
 * const created = existing ?? (await zoho.customers.create({ display_name: 'Acme', email: 'ops@acme.test', ...referenceFields('customers', 'CUS-0001') }));
 */
export function createZohoClient(deps: {
  config: Config;
  pool: Pool;
  log: Logger;
  fetch?: typeof fetch;
  keyring?: Keyring;
  /** The organization's call budget; by default the shared one at `config.zoho.callsPerMinute`. */
  budget?: CallBudget;
}): ZohoClient {
  const { config, pool } = deps;
  const log = deps.log.child({ integration: 'zoho' });
  const doFetch = deps.fetch ?? fetch;
  const tokens: ZohoAccessTokens = createZohoAccessTokens({
    config,
    pool,
    log,
    keyring: deps.keyring ?? loadKeyring(config, log),
    fetch: doFetch,
  });
  const budget =
    deps.budget ??
    createCallBudget({
      pool,
      log,
      integration: 'zoho',
      scope: config.zoho.organizationId,
      callsPerMinute: config.zoho.callsPerMinute,
    });
  let quotaResumeAt = 0;

  async function send(
    call: Call,
    token: string,
  ): Promise<{ res: Response; body: ZohoEnvelope & Record<string, unknown> }> {
    const { counted } = await budget.acquire();
    const url = new URL(`${config.zoho.apiBaseUrl}${call.path}`);
    for (const [k, v] of Object.entries(call.query ?? {})) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { authorization: `Zoho-oauthtoken ${token}` };
    if (call.organization !== false) headers['X-com-zoho-subscriptions-organizationid'] = config.zoho.organizationId;
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    const started = performance.now();
    const timing = (status: number | null, errorClass: ErrorClass | null) => ({
      method: call.method,
      path: call.path,
      status,
      durationMs: performance.now() - started,
      errorClass,
    });
    let res: Response;
    try {
      res = await doFetch(url, {
        method: call.method,
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      const failure = networkError(err, `${call.method} ${call.path}`);
      await countZohoCall(pool, log, { rateLimited: false, failed: true, counted }, timing(null, failure.errorClass));
      throw failure;
    }
    const body = (await res.json().catch(() => ({}))) as ZohoEnvelope & Record<string, unknown>;
    const failed = !res.ok || body.code !== 0;
    const errorClass = failed
      ? classifyZohoResponse(res.status, body, res.headers.get('retry-after')).errorClass
      : null;
    await countZohoCall(
      pool,
      log,
      { rateLimited: res.status === 429, failed, counted },
      timing(res.status, errorClass),
    );
    return { res, body };
  }

  async function request<T>(call: Call): Promise<T> {
    if (quotaResumeAt > Date.now()) {
      throw new IntegrationError({
        integration: 'zoho',
        errorClass: ErrorClass.QuotaExhausted,
        resumeAt: new Date(quotaResumeAt).toISOString(),
        message: 'daily API quota exhausted (not called again until it resets)',
      });
    }
    let token = await tokens.get();
    let { res, body } = await send(call, token);
    if (res.status === 401 || body.code === 57) {
      // An expired or revoked token: refresh once, then give up as AuthFailed.
      token = await tokens.replace(token);
      ({ res, body } = await send(call, token));
    }
    if (!res.ok || body.code !== 0) {
      const err = classifyZohoResponse(res.status, body, res.headers.get('retry-after'));
      if (err.errorClass === ErrorClass.QuotaExhausted && err.resumeAt) quotaResumeAt = Date.parse(err.resumeAt);
      log.warn(
        { path: call.path, status: res.status, code: body.code, errorClass: err.errorClass },
        'ZOHO call failed',
      );
      throw err;
    }
    return body as T;
  }

  function entityApi<E extends ZohoEntity>(entity: E): ZohoEntityApi<E> {
    type S = ZohoShapes[E];
    const one = ZOHO_ENTITY[entity].singular;
    const api: ZohoEntityApi<E> = {
      async listPage({ page = 1, perPage = ZOHO_MAX_PER_PAGE, filters = {} } = {}) {
        if (perPage > ZOHO_MAX_PER_PAGE) throw new RangeError(`perPage is at most ${ZOHO_MAX_PER_PAGE}`);
        const body = await request<Record<string, unknown>>({
          method: 'GET',
          path: `/${entity}`,
          query: { ...filters, page, per_page: perPage },
        });
        const context = (body.page_context ?? {}) as { has_more_page?: boolean };
        return {
          items: (body[entity] ?? []) as S['list'][],
          page,
          perPage,
          hasMorePage: context.has_more_page === true,
        };
      },
      async *iterate({ perPage = ZOHO_MAX_PER_PAGE, filters = {} } = {}) {
        for (let page = 1; ; page++) {
          const result = await api.listPage({ page, perPage, filters });
          yield result;
          if (!result.hasMorePage) return;
        }
      },
      async get(id) {
        const body = await request<Record<string, unknown>>({
          method: 'GET',
          path: `/${entity}/${encodeURIComponent(id)}`,
        });
        return body[one] as S['record'];
      },
      async create(input) {
        const body = await request<Record<string, unknown>>({ method: 'POST', path: `/${entity}`, body: input });
        return body[one] as S['record'];
      },
      async update(id, input) {
        const body = await request<Record<string, unknown>>({
          method: 'PUT',
          path: `/${entity}/${encodeURIComponent(id)}`,
          body: input,
        });
        return body[one] as S['record'];
      },
      async findByReference(reference) {
        const { items } = await api.listPage({
          perPage: ZOHO_MAX_PER_PAGE,
          filters: { [REFERENCE_FILTER[entity]]: reference },
        });
        // `reference_contains` is a substring search: keep the exact match only.
        return items.find(
          (item) => (referenceOfItem(entity, item as Record<string, unknown>) ?? reference) === reference,
        );
      },
    };
    return api;
  }

  const entities = Object.fromEntries(ZOHO_ENTITIES.map((e) => [e, entityApi(e)])) as {
    [E in ZohoEntity]: ZohoEntityApi<E>;
  };
  return {
    ...entities,
    organizationId: config.zoho.organizationId,
    call: (method, path, options = {}) => request({ method, path, query: options.query, body: options.json }),
    async listOrganizations() {
      const body = await request<{ organizations?: ZohoOrganization[] }>({
        method: 'GET',
        path: '/organizations',
        organization: false,
      });
      return body.organizations ?? [];
    },
  };
}
