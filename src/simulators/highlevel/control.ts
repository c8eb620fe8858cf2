import { Hono } from 'hono';
import { randomUUID, sign, type KeyObject } from 'node:crypto';
import { create } from './resources.js';
import { installationKey, type Faults, type SimAuthCode, type SimState } from './state.js';

/** An installation to register, with the tokens Opsflow already holds for it (so its refreshes really work). */
export interface SeedInstallation {
  companyId: string;
  locationId: string | null;
  userType: 'Company' | 'Location';
  accessToken?: string;
  refreshToken?: string;
  /** ISO time; defaults to a full lifetime from now. */
  accessExpiresAt?: string;
  revoked?: boolean;
  /** Space-separated scopes granted; defaults to the app's configured scopes. */
  scope?: string;
}

export interface SeedBody {
  installations?: SeedInstallation[];
  locations?: Array<{ id: string; companyId: string; name: string; address?: string; timezone?: string }>;
  /** Generated contacts per location: `{locationId, count}`; dates spread deterministically. */
  contacts?: Array<{ locationId: string; count: number }>;
  /** Authorization codes the OAuth callback can exchange (bound to `redirectUri` when one is given). */
  codes?: Array<SimAuthCode & { code: string }>;
}

/** The test and benchmark control API under `/__sim`. */
export function controlRoutes(state: SimState, webhookKey: { privateKey: KeyObject; publicKeyPem: string }) {
  const app = new Hono();

  app.post('/__sim/faults', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as Partial<Faults>;
    state.faults = { ...state.faults, ...body };
    return c.json(state.faults);
  });

  app.get('/__sim/stats', (c) => {
    let contacts = 0;
    for (const list of state.contacts.values()) contacts += list.length;
    return c.json({
      requestsByStatus: state.stats.requestsByStatus,
      recordsByType: {
        installations: state.installations.size,
        locations: state.locations.size,
        contacts,
        accessTokens: state.accessTokens.size,
      },
      duplicateCreates: state.stats.duplicateCreates,
      refreshesByInstallation: state.stats.refreshesByInstallation,
      spentRefreshTokenReuse: state.stats.spentRefreshTokenReuse,
    });
  });

  app.post('/__sim/reset', (c) => {
    state.reset();
    return c.json({ ok: true });
  });

  app.post('/__sim/seed', async (c) => {
    const body = (await c.req.json()) as SeedBody;
    for (const l of body.locations ?? []) {
      state.locations.set(l.id, { address: '', timezone: 'UTC', ...l });
    }
    for (const i of body.installations ?? []) {
      const inst = state.ensureInstallation(i.companyId, i.locationId, i.userType, i.scope?.split(/\s+/));
      inst.revoked = Boolean(i.revoked);
      const expiresAt = i.accessExpiresAt
        ? Date.parse(i.accessExpiresAt)
        : Date.now() + state.limits.accessTokenTtlSeconds * 1000;
      if (i.accessToken)
        state.accessTokens.set(i.accessToken, { installation: inst.key, expiresAt, revoked: inst.revoked });
      if (i.refreshToken) state.refreshTokens.set(i.refreshToken, { installation: inst.key, spent: inst.revoked });
    }
    for (const { locationId, count } of body.contacts ?? []) {
      const list = state.contacts.get(locationId) ?? [];
      const base = Date.parse('2026-01-01T00:00:00Z');
      for (let n = 0; n < count; n++) {
        const at = new Date(base + (list.length + n) * 60_000).toISOString();
        list.push(
          create(
            { locationId, email: `contact${list.length + n}@${locationId.toLowerCase()}.example`, dateAdded: at },
            at,
          ),
        );
      }
      state.contacts.set(locationId, list);
    }
    for (const { code, ...bound } of body.codes ?? []) state.authCodes.set(code, bound);
    return c.json({ ok: true });
  });

  app.get('/__sim/webhook-public-key', (c) => c.text(webhookKey.publicKeyPem));

  /**
   * Sends a signed INSTALL or UNINSTALL webhook to `targetUrl` and answers with the receiver's status. The vendor's
   * own state follows (an uninstall revokes the installation's tokens).
   */
  app.post('/__sim/webhooks', async (c) => {
    const body = (await c.req.json()) as {
      targetUrl: string;
      type: 'INSTALL' | 'UNINSTALL';
      companyId: string;
      locationId?: string;
      webhookId?: string;
      timestamp?: string;
    };
    const locationId = body.locationId ?? null;
    const payload = {
      type: body.type,
      appId: 'opsflow-app',
      versionId: 'opsflow-app-v1',
      installType: locationId ? 'Location' : 'Company',
      companyId: body.companyId,
      ...(locationId ? { locationId } : {}),
      userId: `user_${body.companyId}`,
      webhookId: body.webhookId ?? randomUUID(),
      timestamp: body.timestamp ?? new Date().toISOString(),
    };
    if (body.type === 'INSTALL')
      state.ensureInstallation(body.companyId, locationId, locationId ? 'Location' : 'Company');
    else state.revokeInstallation(installationKey(body.companyId, locationId));
    const raw = JSON.stringify(payload);
    const signature = sign(null, Buffer.from(raw), webhookKey.privateKey).toString('base64');
    const res = await fetch(body.targetUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-ghl-signature': signature },
      body: raw,
    });
    return c.json({ status: res.status, body: await res.text(), payload, signature });
  });

  return app;
}
