import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import type { Context } from 'hono';
import { ApiError, errorHandler, notFoundHandler, validationError } from './errors.js';
import { bearerAuth, type AuthEnv } from './auth.js';
import { codecCors, codecRoutes } from './codec/routes.js';
import { codecCookieToken, codecSessionRoutes } from './codec/session.js';
import { docsHandler } from './docs/routes.js';
import { metricsHandler, requestMetrics } from './metrics.js';
import { rejectControlCharacters } from './path-guard.js';
import { createApiMetrics } from '../metrics.js';
import type { ApiDeps } from './deps.js';
import { backfillRoutes } from './backfills/routes.js';
import { backupRoutes } from './backups/routes.js';
import { reconciliationRoutes } from './reconciliations/routes.js';
import { healthRoutes } from './health/routes.js';
import { incidentRoutes } from './incidents/routes.js';
import { maintenanceRoutes } from './maintenance/routes.js';
import { reportRoutes } from './reports/routes.js';
import { LINK_PATH_PREFIX, linkRoutes, signedReportAccess } from './links/routes.js';
import { runbookRoutes } from './runbooks/routes.js';
import { highlevelWebhookRoutes } from './webhooks/highlevel.js';
import { highlevelOAuthRoutes } from './oauth/highlevel.js';
import { scheduleRoutes } from './schedules/routes.js';

// Webhooks carry their own authentication (the sender's signature), not a bearer token.
const PUBLIC_PATHS = new Set([
  '/health',
  '/openapi.json',
  '/docs',
  '/webhooks/highlevel',
  // The codec's browser sign-in: the form checks the token itself.
  '/codec/sign-in',
  '/codec/sign-out',
  // The OAuth install flow runs in a browser the vendor redirects: a one-time state protects it (oauth/highlevel.ts).
  '/oauth/highlevel/install',
  '/oauth/highlevel/callback',
]);

/**
 * How much of a body no one read is read and dropped before the answer goes out (an oversized one before its 413, a
 * body sent to a route that takes none, one refused before it was parsed), and for how long. A client still sending
 * when the answer comes has its upload reset and sees a broken connection instead of the answer (the Node adapter
 * waits only half a second for the rest); read to the end, it gets the answer. Past these bounds it goes out anyway.
 */
const DISCARD_BYTES = 16 * 1024 * 1024;
const DISCARD_MS = 10_000;

/**
 * Takes the request body's reader and gives the routes a stream fed from it, so that what they leave unread can still
 * be read after the answer is made: body-limit holds the reader of a body sent without a length (chunked) once it is
 * over the limit, and nothing else could then read it.
 */
function holdBody(c: Context): ReadableStreamDefaultReader<Uint8Array> | undefined {
  const body = c.req.raw.body;
  if (!body) return undefined;
  const reader = body.getReader();
  const fed = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await reader.read();
      if (chunk.done) controller.close();
      else controller.enqueue(chunk.value);
    },
    // what a reader gives up on is still read to its end by discardBody
  });
  c.req.raw = new Request(c.req.raw, { body: fed, duplex: 'half' });
  return reader;
}

/** Reads and drops what is left of a held body, within DISCARD_BYTES and DISCARD_MS, then lets it go. */
async function discardBody(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<{ done: true }>((resolve) => {
    timer = setTimeout(() => resolve({ done: true }), DISCARD_MS);
  });
  try {
    // Once the time is up every read answers `done`: the timer is the only deadline.
    for (let read = 0; read <= DISCARD_BYTES;) {
      const chunk = await Promise.race([reader.read(), timeUp]);
      if (chunk.done) return;
      read += chunk.value.byteLength;
    }
  } catch {
    // the client went away: nothing to answer
  } finally {
    clearTimeout(timer);
    void reader.cancel().catch(() => undefined);
  }
}

/** Every group of routes, each mounted at the root: its paths are its own (`/incidents/...`, `/backfills/...`). */
const ROUTES = [
  healthRoutes,
  codecRoutes,
  codecSessionRoutes,
  highlevelWebhookRoutes,
  highlevelOAuthRoutes,
  runbookRoutes,
  incidentRoutes,
  maintenanceRoutes,
  reportRoutes,
  linkRoutes,
  scheduleRoutes,
  backfillRoutes,
  reconciliationRoutes,
  backupRoutes,
];

/**
 * Builds the Opsflow HTTP API: bearer auth with roles, zod-validated input, one error format, and an OpenAPI
 * document generated from the same schemas.
 *
 * @example
 * const app = createApp({ config, client, pool, log, tokens });
 * serve({ fetch: app.fetch, port: 3000 });
 */
export function createApp(deps: ApiDeps) {
  const app = new OpenAPIHono<AuthEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target);
    },
  });
  app.onError(errorHandler(deps.log));
  app.notFound(notFoundHandler);
  // Outermost: whatever the answer, a body the route left unread is read to its end first (discardBody).
  app.use('*', async (c, next) => {
    const body = holdBody(c);
    await next();
    if (body) await discardBody(body);
  });
  const metrics = createApiMetrics();
  app.use('*', requestMetrics(metrics, deps.log));
  app.use('/codec/*', codecCors(deps.config));
  app.use('*', rejectControlCharacters);
  app.use(
    '*',
    bodyLimit({
      maxSize: 1024 * 1024,
      // the body is read and dropped before the 413 goes out by the outermost middleware, as any unread body
      onError: () => {
        throw new ApiError(413, 'payload_too_large', 'Request body is larger than 1 MiB');
      },
    }),
  );
  // A report email's signed link opens that report without a token; the principal it sets skips bearer auth.
  app.use('/reports/:id', signedReportAccess(deps));
  const auth = bearerAuth({
    tokens: deps.tokens,
    pool: deps.pool,
    log: deps.log,
    // Signed links (acknowledge links in notices) carry their own authentication, like webhooks.
    isPublic: (p) => PUBLIC_PATHS.has(p) || p.startsWith(LINK_PATH_PREFIX),
    fallbackToken: codecCookieToken,
  });
  app.use('*', (c, next) => (c.get('principal') ? next() : auth(c, next)));

  app.get('/metrics', metricsHandler(metrics, deps.config.metrics.sdkUrl));
  app.get('/docs', docsHandler(app));
  // The groups' typed route schemas differ; the app serves them all and keeps none of their types.
  for (const routes of ROUTES) app.route('/', routes(deps) as OpenAPIHono);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Opsflow API',
      version: '1',
      description: 'Open incidents, start backfills, reconciliations and runbooks, and read their state.',
    },
    security: [{ bearer: [] }],
  });
  return app;
}

export type App = ReturnType<typeof createApp>;
