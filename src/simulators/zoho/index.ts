import { serve, type HttpBindings, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AddressInfo } from 'node:net';
import { ZOHO_ENTITIES, type ZohoEntity } from '../../integrations/zoho/types.js';
import type { Logger } from '../../logger.js';
import type { ZohoSimLimits } from './limits.js';
import { listItem, matchesFilters, SimValidationError, ZOHO_ENTITY, type SimRecord } from './records.js';
import { DEMO_CREDENTIALS, DEMO_ORGANIZATION, ZohoSimState, type ZohoSimCredentials } from './state.js';

export type { ZohoSimLimits } from './limits.js';
export type { ZohoSimFaults } from './state.js';

/** A running ZOHO simulator. `url` stands for both the API host and the accounts host. */
export interface ZohoSimulator {
  url: string;
  /** `${url}/billing/v1`, what `ZOHO_API_BASE_URL` points at. */
  apiBaseUrl: string;
  stop(): Promise<void>;
}

type Env = { Bindings: HttpBindings };

const ORG_HEADER = 'x-com-zoho-subscriptions-organizationid';
const MAX_PER_PAGE = 200;
const NOUN = { customers: 'Customer', subscriptions: 'Subscription', invoices: 'Invoice', payments: 'Payment' };
const LIMIT_MESSAGES = {
  44: 'You have exceeded the maximum number of API requests allowed per minute. Please try again after some time.',
  45: 'You have reached the maximum number of API requests allowed for the day. Please try again tomorrow.',
  1070: 'There are too many concurrent requests. Please try again after some time.',
} as const;
/** A server-side failure, as the error pages of ZOHO's finance APIs (Books, ERP) show it. */
const INTERNAL_ERROR = { code: 1000, message: 'Internal error' } as const;

const vendorError = (c: Context, status: ContentfulStatusCode, code: number, message: string) =>
  c.json({ code, message }, status);

async function jsonBody(c: Context): Promise<SimRecord> {
  // ZOHO also accepts the body as a form field `JSONString`, url-encoded or multipart.
  const form = /form/.test(c.req.header('content-type') ?? '');
  const raw = form
    ? (await c.req.parseBody().catch(() => ({}) as Record<string, unknown>)).JSONString
    : await c.req.text();
  if (raw === '') return {};
  try {
    const parsed: unknown = typeof raw === 'string' ? JSON.parse(raw) : undefined;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as SimRecord;
  } catch {
    // fall through
  }
  throw new SimValidationError('Invalid value passed for JSONString', 4);
}

function routes(state: ZohoSimState, log: Logger): Hono<Env> {
  const app = new Hono<Env>();

  // Control API: never faulted, never counted.
  app.post('/__sim/faults', async (c) => {
    state.faults = { ...state.faults, ...(await c.req.json<Partial<ZohoSimState['faults']>>()) };
    return c.json(state.faults);
  });
  app.post('/__sim/limits', async (c) => {
    state.limiter.limits = { ...state.limiter.limits, ...(await c.req.json<Partial<ZohoSimLimits>>()) };
    return c.json(state.limiter.limits);
  });
  app.post('/__sim/tokens', async (c) => {
    const body = await c.req.json<{ expireAccessTokens?: boolean; revokeRefreshToken?: boolean }>();
    if (body.expireAccessTokens) state.accessTokens.clear();
    if (body.revokeRefreshToken !== undefined) state.refreshTokenRevoked = body.revokeRefreshToken;
    return c.json({ accessTokens: state.accessTokens.size, refreshTokenRevoked: state.refreshTokenRevoked });
  });
  app.get('/__sim/stats', (c) => c.json(state.snapshot()));
  app.post('/__sim/reset', (c) => {
    state.reset();
    return c.json({ ok: true });
  });
  app.post('/__sim/seed', async (c) => {
    const body = await c.req.json<Partial<Record<ZohoEntity, SimRecord[]>>>();
    for (const entity of ZOHO_ENTITIES) for (const record of body[entity] ?? []) state.create(entity, record);
    return c.json(state.snapshot().records);
  });
  app.get('/__sim/records/:entity/:id', (c) => {
    const record = state.table(c.req.param('entity') as ZohoEntity)?.get(c.req.param('id'));
    return record ? c.json(record) : c.json({ error: 'not found' }, 404);
  });

  // Every vendor call: counted by status, then faults.
  app.use('*', async (c, next) => {
    if (c.req.path.startsWith('/__sim/')) return next();
    state.stats.requests.total += 1;
    if (state.faults.outage) {
      // An outage looks like a dropped connection to the caller, not like an HTTP answer.
      c.env.incoming.socket.destroy();
      state.stats.requests.byStatus.dropped = (state.stats.requests.byStatus.dropped ?? 0) + 1;
      return new Response(null, { status: 503 });
    }
    await next();
    const status = String(c.res.status);
    state.stats.requests.byStatus[status] = (state.stats.requests.byStatus[status] ?? 0) + 1;
    log.debug({ method: c.req.method, path: c.req.path, status }, 'zoho simulator call');
  });

  // The accounts host: refresh grant. Failures answer 200 with an `error` field, as the vendor does.
  app.post('/oauth/v2/token', async (c) => {
    const form = new URLSearchParams(await c.req.text());
    for (const [k, v] of new URL(c.req.url).searchParams) if (!form.has(k)) form.set(k, v);
    if (form.get('grant_type') !== 'refresh_token') return c.json({ error: 'unsupported_grant_type' });
    if (form.get('client_id') !== state.credentials.clientId) return c.json({ error: 'invalid_client' });
    if (form.get('client_secret') !== state.credentials.clientSecret) {
      return c.json({ error: 'invalid_client_secret' });
    }
    if (form.get('refresh_token') !== state.credentials.refreshToken || state.refreshTokenRevoked) {
      state.stats.tokens.refused += 1;
      return c.json({ error: 'invalid_code' });
    }
    const granted = state.grant();
    if ('error' in granted) {
      state.stats.tokens.refused += 1;
      return c.json({ error: granted.error, error_description: granted.description });
    }
    state.stats.tokens.granted += 1;
    const origin = new URL(c.req.url).origin;
    return c.json({
      access_token: granted.token,
      api_domain: origin,
      token_type: 'Bearer',
      expires_in: state.limiter.limits.tokenTtlSeconds,
    });
  });

  const api = new Hono<Env & { Variables: { org: string } }>();
  api.use('*', async (c, next) => {
    const auth = c.req.header('authorization') ?? '';
    const token = auth.startsWith('Zoho-oauthtoken ') ? auth.slice('Zoho-oauthtoken '.length) : '';
    if (!state.tokenValid(token)) {
      return vendorError(c, 401, 57, 'You are not authorized to perform this operation');
    }
    if (Math.random() < state.faults.rate5xx) {
      return vendorError(c, 500, INTERNAL_ERROR.code, INTERNAL_ERROR.message);
    }
    if (Math.random() < state.faults.rate429) {
      c.header('Retry-After', '1');
      state.stats.rateLimited['44'] = (state.stats.rateLimited['44'] ?? 0) + 1;
      return vendorError(c, 429, 44, LIMIT_MESSAGES[44]);
    }
    if (c.req.path.endsWith('/organizations')) {
      if (state.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, state.faults.latencyMs));
      return next();
    }
    const org = c.req.header(ORG_HEADER);
    if (!org) return vendorError(c, 400, 2, `Invalid value passed for X-com-zoho-subscriptions-organizationid`);
    if (!state.organizations.some((o) => o.organization_id === org)) {
      return vendorError(c, 400, 6041, `This user is not associated with the CompanyID/CompanyName:${org}.`);
    }
    const hit = state.limiter.admit(org);
    if (hit) {
      state.stats.rateLimited[hit.code] = (state.stats.rateLimited[hit.code] ?? 0) + 1;
      c.header('Retry-After', String(hit.retryAfterSeconds));
      return vendorError(c, 429, hit.code, LIMIT_MESSAGES[hit.code]);
    }
    c.set('org', org);
    try {
      // Latency while admitted, so slow calls also count against the concurrency limit.
      if (state.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, state.faults.latencyMs));
      await next();
    } finally {
      state.limiter.release(org);
    }
  });
  api.onError((err, c) => {
    if (err instanceof SimValidationError) return vendorError(c, 400, err.code, err.message);
    log.error({ err }, 'zoho simulator failed');
    return vendorError(c, 500, INTERNAL_ERROR.code, INTERNAL_ERROR.message);
  });

  api.get('/organizations', (c) =>
    c.json({
      code: 0,
      message: 'success',
      organizations: state.organizations.map((o, i) => ({ ...o, time_zone: 'Etc/UTC', is_default_org: i === 0 })),
    }),
  );

  for (const entity of ZOHO_ENTITIES) {
    const one = ZOHO_ENTITY[entity].singular;
    const missing = (c: Context) => vendorError(c, 404, 1002, `${NOUN[entity]} does not exist.`);

    api.get(`/${entity}`, (c) => {
      const query = c.req.query();
      const page = Number(query.page ?? 1);
      const perPage = Number(query.per_page ?? MAX_PER_PAGE);
      if (!Number.isInteger(page) || page < 1) throw new SimValidationError('Invalid value passed for page');
      if (!Number.isInteger(perPage) || perPage < 1 || perPage > MAX_PER_PAGE) {
        throw new SimValidationError('Invalid value passed for per_page');
      }
      const matching = [...state.table(entity).values()].filter((r) => matchesFilters(entity, r, query));
      const items = matching.slice((page - 1) * perPage, page * perPage).map((r) => listItem(entity, r));
      return c.json({
        code: 0,
        message: 'success',
        [entity]: items,
        page_context: {
          page,
          per_page: perPage,
          has_more_page: page * perPage < matching.length,
          applied_filter: query.filter_by ?? 'Status.All',
          sort_column: 'created_time',
          sort_order: 'A',
          report_name: `${NOUN[entity]}s`,
        },
      });
    });
    api.get(`/${entity}/:id`, (c) => {
      const record = state.table(entity).get(c.req.param('id'));
      return record ? c.json({ code: 0, message: 'success', [one]: record }) : missing(c);
    });
    api.post(`/${entity}`, async (c) => {
      const body = await jsonBody(c);
      delete body[ZOHO_ENTITY[entity].id];
      const record = state.create(entity, body);
      return c.json({ code: 0, message: `The ${one} has been created.`, [one]: record }, 201);
    });
    api.put(`/${entity}/:id`, async (c) => {
      const record = state.update(entity, c.req.param('id'), await jsonBody(c));
      return record
        ? c.json({ code: 0, message: `${NOUN[entity]} details have been saved.`, [one]: record })
        : missing(c);
    });
  }

  app.route('/billing/v1', api);
  app.notFound((c) => vendorError(c, 404, 5, 'Invalid URL Passed'));
  return app;
}

/**
 * Starts a ZOHO Billing simulator: the `/billing/v1` API (customers, subscriptions, invoices, payments,
 * organizations), the accounts host's refresh grant at `/oauth/v2/token`, the vendor's limits and error bodies,
 * and the control API under `/__sim` (faults, limits, tokens, stats, reset, seed). State is in memory.
 *
 * @example
 * const sim = await startZohoSimulator({ port: 0, log, limits: { perMinute: 5 } });
 * const config = loadConfig({ ZOHO_API_BASE_URL: sim.apiBaseUrl, ZOHO_ACCOUNTS_URL: sim.url });
 * await sim.stop();
 */
export async function startZohoSimulator(options: {
  port: number;
  log: Logger;
  host?: string;
  limits?: Partial<ZohoSimLimits>;
  credentials?: ZohoSimCredentials;
  organizations?: Array<typeof DEMO_ORGANIZATION>;
}): Promise<ZohoSimulator> {
  const state = new ZohoSimState(
    options.credentials ?? DEMO_CREDENTIALS,
    options.organizations ?? [DEMO_ORGANIZATION],
    options.limits,
  );
  const app = routes(state, options.log.child({ component: 'zoho-simulator' }));
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    apiBaseUrl: `${url}/billing/v1`,
    stop: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
