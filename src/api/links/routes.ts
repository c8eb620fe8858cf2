import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { escapeHtml } from '../../html.js';
import { linkSecret, LinkError, verifyLink } from '../../notifications/index.js';
import type { AuthEnv } from '../auth.js';
import { page } from '../codec/session.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { readIncident, updateIncident } from '../incidents/store.js';
import { recordSecurityEvent, SECURITY_EVENT } from '../security-events.js';

/** Paths under which a signed link, not a bearer token, is the credential (in the query, kept out of paths that are logged). */
export const LINK_PATH_PREFIX = '/links/';

const html = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });
const Token = z.string().min(1).max(2000).openapi({ description: 'The signed link token from the notice' });

const showRoute = createRoute({
  method: 'get',
  path: '/links/acknowledge',
  summary: "An incident notice's acknowledge link: a confirmation page; opening it changes nothing",
  tags: ['links'],
  security: [],
  request: { query: z.object({ token: Token }) },
  responses: {
    200: html('The incident and a button that acknowledges it'),
    403: html('Altered or forged link'),
    410: html('Expired or already used link'),
  },
});

const acknowledgeRoute = createRoute({
  method: 'post',
  path: '/links/acknowledge',
  summary: "Acknowledge the incident of a notice's acknowledge link (once per link), as the notice's recipient",
  tags: ['links'],
  security: [],
  request: { query: z.object({ token: Token }) },
  responses: {
    200: html('Acknowledged'),
    403: html('Altered or forged link'),
    409: html('The incident is no longer open'),
    410: html('Expired or already used link'),
  },
});

const errorPage = (c: Context, status: 403 | 404 | 409 | 410 | 503, message: string) =>
  c.html(page('Link not accepted', `<p class="error" role="alert">${escapeHtml(message)}</p>`), status);

/**
 * `GET|POST /links/acknowledge?token=`: the acknowledge link of an incident notice. The GET answers a confirmation
 * page (mail scanners that prefetch links change nothing); its form POSTs back, which verifies the signature and
 * expiry, records the link as used in `used_links` and sends the incident's `acknowledge` update as the notice's
 * recipient, in one transaction, so a link acknowledges at most once. Public routes: the signature authenticates.
 *
 * @example
 * app.route('/', linkRoutes(deps));
 */
export function linkRoutes({ client, config, pool, log }: Pick<ApiDeps, 'client' | 'config' | 'pool' | 'log'>) {
  const secret = () => linkSecret(config);

  /** The link's claims, or an error page (a forged one also a security event). */
  function claimsOf(c: Context, token: string) {
    try {
      return verifyLink(secret(), token, 'acknowledge');
    } catch (err) {
      if (!(err instanceof LinkError)) throw err;
      if (err.status === 403) recordSecurityEvent({ pool, log }, c, SECURITY_EVENT.linkInvalid);
      return err;
    }
  }

  const used = async (id: string) =>
    (await pool.query(`SELECT used_by, used_at FROM used_links WHERE id = $1`, [id])).rowCount! > 0;

  return new OpenAPIHono()
    .openapi(showRoute, async (c) => {
      const { token } = c.req.valid('query');
      const claims = claimsOf(c, token);
      if (claims instanceof LinkError) return errorPage(c, claims.status, claims.message);
      if (await used(claims.nonce)) return errorPage(c, 410, 'This link has already been used.');
      const { incident } = await readIncident(client, pool, claims.incidentId).catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 404) return { incident: undefined };
        throw err;
      });
      if (!incident) return errorPage(c, 404, 'This incident no longer exists.');
      const state =
        incident.status === 'open'
          ? `<form method="post" action="?token=${escapeHtml(token)}"><button type="submit">Acknowledge as ${escapeHtml(claims.recipient)}</button></form>`
          : `<p>It is already ${escapeHtml(incident.status)}; there is nothing to acknowledge.</p>`;
      return c.html(
        page(
          'Acknowledge incident',
          `<p><strong>[${escapeHtml(incident.severity)}] ${escapeHtml(incident.title)}</strong></p>
<p>Status: ${escapeHtml(incident.status)} · level ${incident.level} · this notice was sent for level ${claims.level}.</p>${
            incident.level > claims.level
              ? `\n<p>The incident has escalated since this notice; its link still acknowledges it at level ${incident.level}.</p>`
              : ''
          }
<p>Acknowledging stops escalation; it is recorded in the incident's timeline as ${escapeHtml(claims.recipient)}.</p>
${state}`,
        ),
        200,
      );
    })
    .openapi(acknowledgeRoute, async (c) => {
      const claims = claimsOf(c, c.req.valid('query').token);
      if (claims instanceof LinkError) return errorPage(c, claims.status, claims.message);
      const db = await pool.connect();
      try {
        await db.query('BEGIN');
        // The row lock of a concurrent submission of the same link holds this insert until that one ends.
        const { rowCount } = await db.query(
          `INSERT INTO used_links (id, purpose, subject_id, used_by) VALUES ($1, 'acknowledge', $2, $3)
           ON CONFLICT (id) DO NOTHING`,
          [claims.nonce, claims.incidentId, claims.recipient],
        );
        if (rowCount === 0) {
          await db.query('ROLLBACK');
          return errorPage(c, 410, 'This link has already been used.');
        }
        // Any notice of an open incident acknowledges it, whatever level it has reached since (as PagerDuty's do):
        // the message keeps the level the link was sent for, the timeline entry's level is the one acknowledged at.
        const message = `Acknowledged through the link in the level ${claims.level} notice`;
        await updateIncident(
          client,
          pool,
          claims.incidentId,
          'acknowledge',
          { by: claims.recipient, message },
          `link-${claims.nonce}`,
        );
        await db.query('COMMIT');
      } catch (err) {
        await db.query('ROLLBACK').catch(() => undefined);
        if (err instanceof ApiError && (err.status === 409 || err.status === 404)) {
          return errorPage(c, err.status, err.message);
        }
        log.warn({ err: (err as Error).message, incidentId: claims.incidentId }, 'acknowledge link failed');
        return errorPage(c, 503, 'The incident could not be acknowledged just now; try the link again shortly.');
      } finally {
        db.release();
      }
      log.info({ incidentId: claims.incidentId, by: claims.recipient }, 'incident acknowledged through a link');
      return c.html(
        page(
          'Acknowledged',
          `<p>The incident is acknowledged as ${escapeHtml(claims.recipient)}; escalation stops.</p>`,
        ),
        200,
      );
    });
}

/**
 * Lets a report's signed link (`?link=`, from the report email) stand in for the bearer token on `GET /reports/:id`
 * of that report: read-only, until it expires. A bad link answers an HTML error page; without one, bearer auth
 * decides as usual.
 *
 * @example
 * app.use('/reports/:id', signedReportAccess(deps));
 */
export function signedReportAccess({
  config,
  pool,
  log,
}: Pick<ApiDeps, 'config' | 'pool' | 'log'>): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const token = c.req.query('link');
    if (token === undefined || c.req.method !== 'GET') return next();
    try {
      const claims = verifyLink(linkSecret(config), token, 'report');
      if (claims.reportId !== c.req.param('id')) throw new LinkError(403, 'This link is for another report.');
      c.set('principal', { role: 'viewer', actor: `link:${claims.nonce.slice(0, 8)}` });
    } catch (err) {
      if (!(err instanceof LinkError)) throw err;
      if (err.status === 403) recordSecurityEvent({ pool, log }, c, SECURITY_EVENT.linkInvalid);
      return errorPage(c, err.status, err.message);
    }
    return next();
  };
}
