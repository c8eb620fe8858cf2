import { Hono } from 'hono';
import { vendorError } from './errors.js';
import { mayAccessLocation, requireAgency, requireScope, type SimEnv } from './guards.js';
import { installationKey, type SimInstallation, type SimState } from './state.js';

/**
 * `POST /oauth/token` (a code is redeemed once, with the redirect URI and user type it was issued for),
 * `POST /oauth/locationToken`, `GET /oauth/installedLocations`.
 */
export function oauthRoutes(state: SimState, client: { id: string; secret: string }) {
  const app = new Hono<SimEnv>();

  app.post('/oauth/token', async (c) => {
    const form = new URLSearchParams(await c.req.text());
    const missing = ['client_id', 'client_secret', 'grant_type'].filter((k) => !form.get(k));
    if (missing.length > 0)
      return vendorError(
        c,
        422,
        missing.map((k) => `${k} should not be empty`),
      );
    if (form.get('client_id') !== client.id || form.get('client_secret') !== client.secret) {
      return vendorError(c, 401, 'Invalid client credentials');
    }
    const grantType = form.get('grant_type');
    const userType = form.get('user_type');
    if (userType && userType !== 'Company' && userType !== 'Location') {
      return vendorError(c, 422, ['user_type must be one of the following values: Company, Location']);
    }
    if (grantType === 'authorization_code') {
      const code = state.authCodes.get(form.get('code') ?? '');
      if (!code) return vendorError(c, 401, 'Invalid grant: authorization code is invalid or expired');
      // RFC 6749 §4.1.3: a code asked for with a redirect URI is redeemed only with that same URI.
      if (code.redirectUri !== undefined && form.get('redirect_uri') !== code.redirectUri) {
        return vendorError(c, 401, 'Invalid grant: redirect_uri does not match the one the code was issued for');
      }
      if (userType && userType !== code.userType) {
        return vendorError(c, 401, `Invalid grant: the code is for a ${code.userType} install, not ${userType}`);
      }
      state.authCodes.delete(form.get('code')!);
      const inst = state.ensureInstallation(code.companyId, code.locationId, code.userType, code.scopes);
      return c.json(grantBody(state.issue(inst, true), inst));
    }
    if (grantType === 'refresh_token') {
      const presented = form.get('refresh_token') ?? '';
      const entry = state.refreshTokens.get(presented);
      const inst = entry && state.installations.get(entry.installation);
      if (!entry || !inst || inst.revoked) return vendorError(c, 401, 'Invalid grant: refresh token is invalid');
      if (userType && userType !== inst.userType) {
        return vendorError(
          c,
          401,
          `Invalid grant: the refresh token is for a ${inst.userType} install, not ${userType}`,
        );
      }
      if (entry.spent) {
        state.stats.spentRefreshTokenReuse += 1;
        return vendorError(c, 401, 'Invalid grant: refresh token was already used');
      }
      // Rotation: the presented token is spent the moment a new pair is issued.
      entry.spent = true;
      state.stats.refreshesByInstallation[inst.key] = (state.stats.refreshesByInstallation[inst.key] ?? 0) + 1;
      return c.json(grantBody(state.issue(inst, true), inst));
    }
    return vendorError(c, 422, ['grant_type must be one of the following values: authorization_code, refresh_token']);
  });

  app.post('/oauth/locationToken', requireScope(state, 'oauth.write'), async (c) => {
    const agency = requireAgency(state, c);
    if (!agency) return vendorError(c, 401, 'This route is not yet supported by the IAM Service');
    const form = new URLSearchParams(await c.req.text());
    const companyId = form.get('companyId');
    const locationId = form.get('locationId');
    if (!companyId || !locationId) {
      return vendorError(
        c,
        422,
        [!companyId && 'companyId should not be empty', !locationId && 'locationId should not be empty'].filter(
          (m): m is string => Boolean(m),
        ),
      );
    }
    if (companyId !== agency.companyId || !mayAccessLocation(state, c, locationId)) {
      return vendorError(c, 400, 'Location not found or app not installed for this location');
    }
    // A location token carries the agency install's scopes.
    const inst = state.ensureInstallation(companyId, locationId, 'Location', agency.scopes);
    const issued = state.issue(inst, false, locationId);
    return c.json({
      access_token: issued.accessToken,
      token_type: 'Bearer',
      expires_in: issued.expiresIn,
      scope: agency.scopes.join(' '),
      locationId,
      userId: `user_${companyId}`,
    });
  });

  app.get('/oauth/installedLocations', requireScope(state, 'oauth.readonly'), (c) => {
    const agency = requireAgency(state, c);
    if (!agency) return vendorError(c, 401, 'This route is not yet supported by the IAM Service');
    const companyId = c.req.query('companyId');
    if (!companyId || !c.req.query('appId')) return vendorError(c, 422, ['companyId and appId should not be empty']);
    const skip = Number(c.req.query('skip') ?? 0);
    const limit = Number(c.req.query('limit') ?? 20);
    const all = [...state.locations.values()].filter((l) => l.companyId === companyId);
    const installed = (id: string) => state.installations.get(installationKey(companyId, id))?.revoked === false;
    return c.json({
      locations: all.slice(skip, skip + limit).map((l) => ({
        _id: l.id,
        name: l.name,
        address: l.address,
        isInstalled: installed(l.id),
      })),
      count: all.length,
      installToFutureLocations: false,
    });
  });

  return app;
}

function grantBody(issued: { accessToken: string; refreshToken?: string; expiresIn: number }, inst: SimInstallation) {
  return {
    access_token: issued.accessToken,
    token_type: 'Bearer',
    expires_in: issued.expiresIn,
    refresh_token: issued.refreshToken,
    scope: inst.scopes.join(' '),
    userType: inst.userType,
    companyId: inst.companyId,
    ...(inst.locationId ? { locationId: inst.locationId } : {}),
    userId: `user_${inst.companyId}`,
  };
}
