import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { IntegrationError } from '../../integrations/errors.js';
import { createHighLevelServices } from '../../integrations/highlevel/index.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { jsonResponse } from '../schemas.js';
import { recordSecurityEvent, SECURITY_EVENT } from '../security-events.js';

/** How long an install may take between leaving for the marketplace and coming back. */
export const OAUTH_STATE_TTL_SECONDS = 10 * 60;
const STATE_COOKIE = 'opsflow_hl_oauth_state';
const COOKIE_PATH = '/oauth/highlevel';

const UserType = z.enum(['Location', 'Company']);

const installRoute = createRoute({
  method: 'get',
  path: '/oauth/highlevel/install',
  summary: 'Begin a HighLevel install: redirects the browser to the marketplace with a fresh one-time state',
  tags: ['oauth'],
  security: [],
  request: {
    query: z.object({
      userType: UserType.default('Location').openapi({ description: 'Sub-account (Location) or agency (Company)' }),
    }),
  },
  responses: {
    302: jsonResponse(
      z.object({ authorizeUrl: z.url() }).openapi('HighLevelInstallStart'),
      'To the marketplace install page (`/oauth/chooselocation`), also given in the body',
    ),
  },
});

const Installed = z
  .object({
    installed: z.literal(true),
    installationId: z.number().int(),
    companyId: z.string(),
    locationId: z.string().nullable(),
    userType: UserType,
  })
  .openapi('HighLevelInstalled');

const callbackRoute = createRoute({
  method: 'get',
  path: '/oauth/highlevel/callback',
  summary: 'HighLevel OAuth callback: exchanges the code and stores the installation with its tokens encrypted',
  tags: ['oauth'],
  security: [],
  request: {
    query: z.object({
      code: z.string().min(1).max(2048),
      state: z.string().min(1).max(256).optional().openapi({
        description: 'The state of an install begun at /oauth/highlevel/install; absent when begun in the marketplace',
      }),
    }),
  },
  responses: {
    200: jsonResponse(Installed, 'Installed (or re-activated)'),
    400: {
      description:
        'Missing code, a code HighLevel refused (unknown, expired, used), or a state that is unknown, used, expired or not this browser’s; nothing was stored',
    },
    502: { description: 'HighLevel failed or could not be reached; nothing was stored' },
  },
});

const hashOf = (state: string) => createHash('sha256').update(state).digest('hex');

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The HighLevel OAuth install flow. `GET /oauth/highlevel/install` stores a random one-time `state` (as a hash,
 * for ten minutes), sets it in an HttpOnly cookie and redirects to the marketplace's `/oauth/chooselocation`.
 * `GET /oauth/highlevel/callback` takes the state back (it must match the cookie, exist, be unused and unexpired:
 * a forged or replayed callback is refused before any vendor call), exchanges the code and creates or re-activates
 * the installation with its tokens encrypted, through the same token-store call as the INSTALL webhook. A refused
 * state is written to `security_events` (its reason, never the state). An install
 * begun in the marketplace itself arrives with a code and no state, and is accepted (see the callback).
 *
 * Both routes are public: the browser arrives from the vendor's redirect and carries no API token. What stands
 * in for authentication is the vendor's own consent screen (a code only exists after a HighLevel user approved
 * the install), our client secret (needed to redeem the code), and the one-time state bound to the browser that
 * began the install here (so nobody can plant their own installation through someone else's browser).
 *
 * @example
 * app.route('/', highlevelOAuthRoutes(deps));
 */
export function highlevelOAuthRoutes({ config, pool, log }: Pick<ApiDeps, 'config' | 'pool' | 'log'>) {
  let services: ReturnType<typeof createHighLevelServices> | undefined;
  const highlevel = () => (services ??= createHighLevelServices({ config, pool, log }));
  const redirectUri = `${config.api.publicUrl}${COOKIE_PATH}/callback`;
  const secureCookie = config.api.publicUrl.startsWith('https:');

  return new OpenAPIHono()
    .openapi(installRoute, async (c) => {
      const { userType } = c.req.valid('query');
      const state = randomBytes(32).toString('base64url');
      await pool.query(`DELETE FROM oauth_states WHERE expires_at < now() - interval '1 day'`);
      await pool.query(
        `INSERT INTO oauth_states (state_hash, provider, user_type, expires_at)
         VALUES ($1, 'highlevel', $2, now() + make_interval(secs => $3))`,
        [hashOf(state), userType, OAUTH_STATE_TTL_SECONDS],
      );
      // SameSite=Lax: sent on the vendor's top-level redirect back to us, not on cross-site sub-requests.
      setCookie(c, STATE_COOKIE, state, {
        path: COOKIE_PATH,
        httpOnly: true,
        sameSite: 'Lax',
        secure: secureCookie,
        maxAge: OAUTH_STATE_TTL_SECONDS,
      });
      const url = new URL('/oauth/chooselocation', config.highlevel.marketplaceUrl);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: config.highlevel.clientId,
        redirect_uri: redirectUri,
        scope: config.highlevel.oauthScopes,
        state,
      }).toString();
      // The URL in the body too, for a script or an operator who copies it into a browser.
      return c.json({ authorizeUrl: url.toString() }, 302, { location: url.toString() });
    })
    .openapi(callbackRoute, async (c) => {
      const badState = (message: string) => {
        recordSecurityEvent({ pool, log }, c, SECURITY_EVENT.oauthStateInvalid, { details: { reason: message } });
        return new ApiError(400, 'invalid_state', `query.state: ${message}`, {
          fields: [{ field: 'query.state', message }],
        });
      };
      const { code, state } = c.req.valid('query');
      const cookie = getCookie(c, STATE_COOKIE);
      // An install begun in the marketplace (its Install button) comes back with a code and no state, and no
      // browser of ours began it. It is accepted: the code is the consenting user's own, redeemable only with our
      // client secret, and there is no Opsflow session a planted install could attach to. A state that is sent,
      // or a browser that began an install here, must check out.
      let requested: 'Location' | 'Company' | undefined;
      if (state !== undefined || cookie !== undefined) {
        if (state === undefined) throw badState('missing; this browser began an install, finish it or begin again');
        if (!cookie || !sameText(cookie, state)) throw badState('does not belong to an install begun in this browser');
        const { rows } = await pool.query<{ user_type: 'Location' | 'Company'; live: boolean }>(
          `DELETE FROM oauth_states WHERE state_hash = $1 AND provider = 'highlevel'
           RETURNING user_type, expires_at > now() AS live`,
          [hashOf(state)],
        );
        deleteCookie(c, STATE_COOKIE, { path: COOKIE_PATH });
        if (!rows[0]) throw badState('unknown or already used; begin the install again');
        if (!rows[0].live) throw badState('expired; begin the install again');
        requested = rows[0].user_type;
      }

      let exchanged: Awaited<ReturnType<ReturnType<typeof highlevel>['highlevel']['exchangeCode']>>;
      try {
        exchanged = await highlevel().highlevel.exchangeCode(code, redirectUri, requested);
      } catch (err) {
        if (!(err instanceof IntegrationError)) throw err;
        log.warn({ errorClass: err.errorClass, status: err.status }, 'HighLevel refused an OAuth code exchange');
        // A refused code (unknown, expired, used) is the caller's bad input; an unreachable or failing vendor is ours.
        if (err.permanent) {
          const message = `HighLevel refused the authorization code (${err.message}); begin the install again`;
          throw new ApiError(400, 'invalid_code', `query.code: ${message}`, {
            fields: [{ field: 'query.code', message }],
            errorClass: err.errorClass,
          });
        }
        throw new ApiError(502, 'vendor_error', `HighLevel did not exchange the authorization code: ${err.message}`, {
          errorClass: err.errorClass,
        });
      }
      const { companyId, locationId } = exchanged;
      if (!companyId) throw new ApiError(502, 'vendor_error', 'HighLevel exchanged the code but named no companyId');
      const userType = locationId ? 'Location' : 'Company';
      const installationId = await highlevel().tokenStore.upsertInstallation({
        companyId,
        locationId,
        userType,
        grant: exchanged.grant,
        actor: 'oauth',
      });
      log.info({ installationId, companyId, locationId }, 'HighLevel installed through OAuth');
      return c.json({ installed: true as const, installationId, companyId, locationId, userType }, 200);
    });
}
