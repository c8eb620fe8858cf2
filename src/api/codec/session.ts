import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { ApiDeps } from '../deps.js';
import { createTokenMatcher } from '../auth.js';
import { recordSecurityEvent, SECURITY_EVENT } from '../security-events.js';
import { COMMON_ERRORS } from '../schemas.js';

/**
 * The cookie that carries an operator's API token to the codec endpoint. The Temporal Web UI calls the codec from the
 * browser and cannot add an Authorization header; with `TEMPORAL_CODEC_INCLUDE_CREDENTIALS=true` it sends cookies.
 * HttpOnly (no script reads it), SameSite=Strict (no other site's page can spend it) and scoped to `/codec`, so it
 * authenticates nothing else.
 */
export const CODEC_COOKIE = 'opsflow_codec';
const COOKIE_PATH = '/codec';
const SESSION_SECONDS = 8 * 3600;

/** The codec cookie's token, for the authentication middleware. Only codec paths accept it. */
export function codecCookieToken(c: Context): string | undefined {
  return c.req.path.startsWith(`${COOKIE_PATH}/`) ? getCookie(c, CODEC_COOKIE) : undefined;
}

/** A small stand-alone HTML page for the browser-facing routes (sign-in, signed links). */
export const page = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} · Opsflow</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2328}
input{font:inherit;width:100%;padding:.4rem;margin:.5rem 0;box-sizing:border-box}button{font:inherit;padding:.4rem 1rem}
.error{color:#b42318}</style></head><body><h1>${title}</h1>${body}</body></html>`;

const form = (error?: string) =>
  page(
    'Decode payloads in the Web UI',
    `<p>Workflow payloads are encrypted. Sign in with your Opsflow API token so the Temporal Web UI can show them
decrypted through this API's codec endpoint, in this browser, for ${SESSION_SECONDS / 3600} hours.</p>
${error ? `<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="${COOKIE_PATH}/sign-in"><label>API token
<input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit">Sign in</button></form>`,
  );

const SignIn = z.object({ token: z.string().min(1, 'required').max(1000) }).openapi('CodecSignIn');
const html = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });

const showRoute = createRoute({
  method: 'get',
  path: `${COOKIE_PATH}/sign-in`,
  summary: 'Sign-in page that lets the Web UI decode payloads in this browser',
  tags: ['codec'],
  security: [],
  responses: { 200: html('The sign-in form') },
});

const signInRoute = createRoute({
  method: 'post',
  path: `${COOKIE_PATH}/sign-in`,
  summary: 'Sign in for the codec: sets an HttpOnly cookie that only the codec endpoint accepts',
  tags: ['codec'],
  security: [],
  request: {
    body: {
      required: true,
      content: { 'application/x-www-form-urlencoded': { schema: SignIn, example: { token: '<operator token>' } } },
    },
  },
  responses: {
    200: html('Signed in; the cookie is set'),
    400: COMMON_ERRORS[400],
    401: html('Unknown or read-only token; no cookie is set'),
  },
});

const signOutRoute = createRoute({
  method: 'post',
  path: `${COOKIE_PATH}/sign-out`,
  summary: 'Sign out of the codec: clears the cookie',
  tags: ['codec'],
  security: [],
  responses: { 200: html('Signed out') },
});

/**
 * `GET|POST /codec/sign-in` and `POST /codec/sign-out`: the browser session the Temporal Web UI's codec calls
 * authenticate with. Public routes (the form itself is the authentication); a refused sign-in is logged without the
 * token. Only operator tokens sign in, since the codec endpoint is operator-only.
 *
 * @example
 * app.route('/', codecSessionRoutes(deps));
 */
export function codecSessionRoutes({ config, tokens, pool, log }: Pick<ApiDeps, 'config' | 'tokens' | 'pool' | 'log'>) {
  const match = createTokenMatcher(tokens);
  const secure = config.api.publicUrl.startsWith('https:');
  return new OpenAPIHono()
    .openapi(showRoute, (c) => c.html(form(), 200))
    .openapi(signInRoute, (c) => {
      const principal = match(c.req.valid('form').token);
      if (principal?.role !== 'operator') {
        log.warn({ role: principal?.role ?? 'none', path: c.req.path }, 'codec sign-in refused');
        recordSecurityEvent({ pool, log }, c, principal ? SECURITY_EVENT.roleForbidden : SECURITY_EVENT.tokenInvalid, {
          actor: principal?.actor,
        });
        return c.html(form('That is not an operator token of this Opsflow.'), 401);
      }
      setCookie(c, CODEC_COOKIE, c.req.valid('form').token, {
        path: COOKIE_PATH,
        httpOnly: true,
        sameSite: 'Strict',
        secure,
        maxAge: SESSION_SECONDS,
      });
      log.info({ actor: principal.actor }, 'codec sign-in');
      return c.html(
        page('Signed in', '<p>The Web UI now shows decrypted payloads in this browser. You may close this tab.</p>'),
        200,
      );
    })
    .openapi(signOutRoute, (c) => {
      deleteCookie(c, CODEC_COOKIE, { path: COOKIE_PATH, secure });
      return c.html(page('Signed out', '<p>The Web UI shows encrypted payloads again.</p>'), 200);
    });
}
