import { Hono } from 'hono';
import { vendorError } from './errors.js';
import { newToken, type SimState } from './state.js';

/**
 * `GET /oauth/chooselocation`: the marketplace page where a user installs the app. A person would sign in and pick
 * a location; the simulator takes the pick from `companyId` / `locationId` query parameters (a location-less pick
 * is an agency install), issues a one-time authorization code and redirects the browser to `redirect_uri` with
 * `code` and the app's `state`, as the marketplace does. The code is exchanged at `POST /oauth/token`, only with
 * the same `redirect_uri`, and grants the `scope` asked for here (space-separated; the app's configured scopes
 * when absent, as from the marketplace's own Install button). The exchange installs the app, creating the picked
 * location if the simulator did not know it.
 *
 * @example
 * app.route('/', authorizeRoutes(state, client));
 */
export function authorizeRoutes(state: SimState, client: { id: string }) {
  const app = new Hono();
  app.get('/oauth/chooselocation', (c) => {
    const q = c.req.query();
    const missing = ['response_type', 'client_id', 'redirect_uri'].filter((k) => !q[k]);
    if (missing.length > 0)
      return vendorError(
        c,
        422,
        missing.map((k) => `${k} should not be empty`),
      );
    if (q.response_type !== 'code') return vendorError(c, 422, ['response_type must be code']);
    if (q.client_id !== client.id) return vendorError(c, 400, 'Invalid client id');
    let redirect: URL;
    try {
      redirect = new URL(q.redirect_uri!);
    } catch {
      return vendorError(c, 422, ['redirect_uri must be a URL']);
    }
    const companyId = q.companyId ?? 'sim-company';
    const locationId = q.locationId ?? null;
    const code = newToken('code');
    const scopes = q.scope?.split(/\s+/).filter(Boolean);
    state.authCodes.set(code, {
      companyId,
      locationId,
      userType: locationId ? 'Location' : 'Company',
      redirectUri: q.redirect_uri,
      scopes: scopes?.length ? scopes : undefined,
    });
    redirect.searchParams.set('code', code);
    if (q.state) redirect.searchParams.set('state', q.state);
    return c.redirect(redirect.toString(), 302);
  });
  return app;
}
