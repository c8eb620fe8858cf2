import { Hono } from 'hono';
import { vendorError } from './errors.js';
import { mayAccessLocation, requireAgency, type SimEnv } from './guards.js';
import { installationKey, type SimState } from './state.js';

/** `POST /oauth/token`, `POST /oauth/locationToken`, `GET /oauth/installedLocations`. */
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
    if (grantType === 'authorization_code') {
      const code = state.authCodes.get(form.get('code') ?? '');
      if (!code) return vendorError(c, 401, 'Invalid grant: authorization code is invalid or expired');
      state.authCodes.delete(form.get('code')!);
      const inst = state.ensureInstallation(code.companyId, code.locationId, code.userType);
      return c.json(grantBody(state.issue(inst, true), inst));
    }
    if (grantType === 'refresh_token') {
      const presented = form.get('refresh_token') ?? '';
      const entry = state.refreshTokens.get(presented);
      const inst = entry && state.installations.get(entry.installation);
      if (!entry || !inst || inst.revoked) return vendorError(c, 401, 'Invalid grant: refresh token is invalid');
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

  app.post('/oauth/locationToken', async (c) => {
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
    const inst = state.ensureInstallation(companyId, locationId, 'Location');
    const issued = state.issue(inst, false, locationId);
    return c.json({
      access_token: issued.accessToken,
      token_type: 'Bearer',
      expires_in: issued.expiresIn,
      scope: 'contacts.readonly contacts.write locations.readonly',
      locationId,
      userId: `user_${companyId}`,
    });
  });

  app.get('/oauth/installedLocations', (c) => {
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

function grantBody(
  issued: { accessToken: string; refreshToken?: string; expiresIn: number },
  inst: { companyId: string; locationId: string | null; userType: string },
) {
  return {
    access_token: issued.accessToken,
    token_type: 'Bearer',
    expires_in: issued.expiresIn,
    refresh_token: issued.refreshToken,
    scope: 'contacts.readonly contacts.write locations.readonly oauth.readonly oauth.write',
    userType: inst.userType,
    companyId: inst.companyId,
    ...(inst.locationId ? { locationId: inst.locationId } : {}),
    userId: `user_${inst.companyId}`,
  };
}
