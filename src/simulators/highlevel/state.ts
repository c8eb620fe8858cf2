import { randomBytes } from 'node:crypto';

/** One app install as the vendor sees it: whose tokens are whose. */
export interface SimInstallation {
  key: string;
  companyId: string;
  locationId: string | null;
  userType: 'Company' | 'Location';
  revoked: boolean;
  /** The scopes the install was granted; every token of the installation carries them. */
  scopes: string[];
}

/** A one-time code from the install page, bound to what the install asked for. */
export interface SimAuthCode {
  companyId: string;
  locationId: string | null;
  userType: 'Company' | 'Location';
  /** The `redirect_uri` of the install page; the token request must present the same one. */
  redirectUri?: string;
  scopes?: string[];
}

export interface SimToken {
  installation: string;
  expiresAt: number;
  revoked: boolean;
  /** For location tokens minted from an agency token. */
  locationId?: string;
}

export interface SimContact {
  id: string;
  locationId: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  phone?: string;
  tags: string[];
  dateAdded: string;
  dateUpdated: string;
}

export interface SimLocation {
  id: string;
  companyId: string;
  name: string;
  address: string;
  timezone: string;
  email?: string;
}

export interface Faults {
  rate429: number;
  rate5xx: number;
  latencyMs: number;
  outage: boolean;
}

export interface Limits {
  /** Requests per location per interval (HighLevel: 100 per 10 s). */
  burst: number;
  intervalMs: number;
  /** Requests per location per day (HighLevel: 200,000). */
  daily: number;
  /** Access token lifetime in seconds (HighLevel: 86,399). */
  accessTokenTtlSeconds: number;
}

/** What an install grants when it names no scopes: the app's scopes as configured in the marketplace. */
export const DEFAULT_SCOPES = [
  'contacts.readonly',
  'contacts.write',
  'locations.readonly',
  'oauth.readonly',
  'oauth.write',
];

export const DEFAULT_LIMITS: Limits = { burst: 100, intervalMs: 10_000, daily: 200_000, accessTokenTtlSeconds: 86_399 };
const NO_FAULTS: Faults = { rate429: 0, rate5xx: 0, latencyMs: 0, outage: false };

export const installationKey = (companyId: string, locationId: string | null) => `${companyId}:${locationId ?? ''}`;
export const newToken = (prefix: string) => `${prefix}_${randomBytes(18).toString('base64url')}`;

/** The simulator's whole in-memory state; `reset()` empties it. */
export function createSimState(limits: Limits) {
  const state = {
    limits,
    faults: { ...NO_FAULTS },
    installations: new Map<string, SimInstallation>(),
    accessTokens: new Map<string, SimToken>(),
    /** Refresh token → installation key; a spent one maps to `spent` so reuse can be told apart and counted. */
    refreshTokens: new Map<string, { installation: string; spent: boolean }>(),
    authCodes: new Map<string, SimAuthCode>(),
    locations: new Map<string, SimLocation>(),
    contacts: new Map<string, SimContact[]>(),
    windows: new Map<string, number[]>(),
    daily: new Map<string, { day: string; count: number }>(),
    stats: {
      requestsByStatus: {} as Record<string, number>,
      duplicateCreates: 0,
      refreshesByInstallation: {} as Record<string, number>,
      spentRefreshTokenReuse: 0,
    },
    reset() {
      for (const m of [
        state.installations,
        state.accessTokens,
        state.refreshTokens,
        state.authCodes,
        state.locations,
        state.contacts,
        state.windows,
        state.daily,
      ])
        m.clear();
      state.faults = { ...NO_FAULTS };
      state.stats = {
        requestsByStatus: {},
        duplicateCreates: 0,
        refreshesByInstallation: {},
        spentRefreshTokenReuse: 0,
      };
    },
    /**
     * Installs the app (again): the installation, with the scopes granted (kept when none are given), and the
     * location it names, which exists from then on as it would at the vendor.
     */
    ensureInstallation(
      companyId: string,
      locationId: string | null,
      userType: 'Company' | 'Location',
      scopes?: string[],
    ): SimInstallation {
      if (locationId && !state.locations.has(locationId)) {
        state.locations.set(locationId, {
          id: locationId,
          companyId,
          name: `Location ${locationId}`,
          address: '',
          timezone: 'UTC',
        });
      }
      const key = installationKey(companyId, locationId);
      const existing = state.installations.get(key);
      if (existing) {
        existing.revoked = false;
        if (scopes) existing.scopes = scopes;
        return existing;
      }
      const created = { key, companyId, locationId, userType, revoked: false, scopes: scopes ?? DEFAULT_SCOPES };
      state.installations.set(key, created);
      return created;
    },
    /** Issues an access token (and a refresh token unless it is a minted location token). */
    issue(inst: SimInstallation, withRefresh: boolean, locationId?: string) {
      const accessToken = newToken('hl_at');
      state.accessTokens.set(accessToken, {
        installation: inst.key,
        expiresAt: Date.now() + limits.accessTokenTtlSeconds * 1000,
        revoked: false,
        locationId,
      });
      const refreshToken = withRefresh ? newToken('hl_rt') : undefined;
      if (refreshToken) state.refreshTokens.set(refreshToken, { installation: inst.key, spent: false });
      return { accessToken, refreshToken, expiresIn: limits.accessTokenTtlSeconds };
    },
    /** Revokes every token of an installation (uninstall). */
    revokeInstallation(key: string) {
      const inst = state.installations.get(key);
      if (inst) inst.revoked = true;
      for (const t of state.accessTokens.values()) if (t.installation === key) t.revoked = true;
      for (const r of state.refreshTokens.values()) if (r.installation === key) r.spent = true;
    },
  };
  return state;
}

export type SimState = ReturnType<typeof createSimState>;
