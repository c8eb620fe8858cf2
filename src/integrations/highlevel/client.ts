import type { Pool } from 'pg';
import type { Config } from '../../config.js';
import type { Logger } from '../../logger.js';
import { countApiCall } from '../api-usage.js';
import { ErrorClass, IntegrationError } from '../errors.js';
import type { Refresher, TokenGrant, TokenStore } from '../token-store.js';
import { classifyHighLevelFailure, networkFailure } from './classify.js';
import type { components as Contacts, operations as ContactOps } from './generated/contacts.js';
import type { components as Locations, operations as LocationOps } from './generated/locations.js';
import type { components as OAuth, operations as OAuthOps } from './generated/oauth.js';

type AccessCodeResponse = OAuth['schemas']['GetAccessCodeSuccessfulResponseDto'];
type LocationTokenResponse = OAuth['schemas']['GetLocationAccessTokenSuccessfulResponseDto'];
export type InstalledLocations = OAuth['schemas']['GetInstalledLocationsSuccessfulResponseDto'];
export type Location = Locations['schemas']['GetLocationByIdSchema'];
/** The spec marks `createNewIfDuplicateAllowed` required; the client sends `false` (a true upsert) unless told. */
export type UpsertContactInput = Omit<Contacts['schemas']['UpsertContactDto'], 'createNewIfDuplicateAllowed'> & {
  createNewIfDuplicateAllowed?: boolean;
};
export type UpsertContactResult = Contacts['schemas']['UpsertContactsSuccessfulResponseDto'];
export type ContactList = Contacts['schemas']['ContactsSearchSuccessfulResponseDto'] & {
  meta?: Contacts['schemas']['ContactsMetaSchema'];
};
/** The search answer; the spec leaves it undescribed, so only the cursor is added to the spec's contact schema. */
export type ContactSearchResult = {
  contacts: Array<Contacts['schemas']['ContactsSearchSchema'] & { searchAfter?: [number, string] }>;
  total: number;
};

/**
 * The `Version` header each endpoint requires, typed from the spec: a spec that moves to a new version makes
 * this file fail to compile instead of sending a stale header.
 */
const VERSION = {
  locationToken: '2021-07-28' satisfies OAuthOps['get-location-access-token']['parameters']['header']['Version'],
  installedLocations: '2021-07-28' satisfies OAuthOps['get-installed-location']['parameters']['header']['Version'],
  getLocation: '2021-07-28' satisfies LocationOps['get-location']['parameters']['header']['Version'],
  searchContacts: '2021-07-28' satisfies ContactOps['search-contacts-advanced']['parameters']['header']['Version'],
  upsertContact: '2021-07-28' satisfies ContactOps['upsert-contact']['parameters']['header']['Version'],
  listContacts: '2021-07-28' satisfies ContactOps['get-contacts']['parameters']['header']['Version'],
} as const;

/** The endpoints called with an installation's token; `getLocation`'s path ends with the location id. */
const ENDPOINT = {
  locationToken: { method: 'POST', path: '/oauth/locationToken', version: VERSION.locationToken },
  installedLocations: { method: 'GET', path: '/oauth/installedLocations', version: VERSION.installedLocations },
  getLocation: { method: 'GET', path: '/locations/', version: VERSION.getLocation },
  searchContacts: { method: 'POST', path: '/contacts/search', version: VERSION.searchContacts },
  upsertContact: { method: 'POST', path: '/contacts/upsert', version: VERSION.upsertContact },
  listContacts: { method: 'GET', path: '/contacts/', version: VERSION.listContacts },
} as const satisfies Record<keyof typeof VERSION, Pick<Call, 'method' | 'path' | 'version'>>;

export interface HighLevelClientDeps {
  config: Config;
  tokenStore: TokenStore;
  pool: Pool;
  log: Logger;
  fetch?: typeof fetch;
}

interface Call {
  method: 'GET' | 'POST';
  path: string;
  version?: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  form?: Record<string, string>;
  bearer?: string;
}

/**
 * The HighLevel API v2 client. Calls on behalf of an installation take its id and fetch its token from the token
 * store; a 401 refreshes once (under the store's row lock) and retries, a second 401 is `AuthFailed`. Every
 * failure is an `IntegrationError` with its class, and every call is counted in `api_usage`.
 *
 * @example
 * const hl = createHighLevelClient({ config, tokenStore, pool, log });
 * const { location } = await hl.getLocation(installationId, 'loc_1');
 */
export function createHighLevelClient({ config, tokenStore, pool, log, fetch: doFetch = fetch }: HighLevelClientDeps) {
  const base = config.highlevel.baseUrl.replace(/\/$/, '');

  /** Counts the call and records its timing; `status` null when no answer came, `errorClass` null for a success. */
  async function countUsage(call: Call, started: number, status: number | null, errorClass: ErrorClass | null) {
    await countApiCall(
      pool,
      log,
      'highlevel',
      { calls: 1, rateLimitHits: status === 429 ? 1 : 0, errors: errorClass !== null && status !== 429 ? 1 : 0 },
      { method: call.method, path: call.path, status, durationMs: performance.now() - started, errorClass },
    );
  }

  async function send<T>(call: Call): Promise<T> {
    const url = new URL(`${base}${call.path}`);
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (call.version) headers.version = call.version;
    if (call.bearer) headers.authorization = `Bearer ${call.bearer}`;
    let body: string | undefined;
    if (call.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(call.form).toString();
    } else if (call.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(call.json);
    }
    const started = performance.now();
    let res: Response;
    let text: string;
    try {
      res = await doFetch(url, { method: call.method, headers, body, signal: AbortSignal.timeout(30_000) });
      text = await res.text();
    } catch (err) {
      const failure = networkFailure(err);
      await countUsage(call, started, null, failure.errorClass);
      throw failure;
    }
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (res.ok) {
      await countUsage(call, started, res.status, null);
      return parsed as T;
    }
    const failure = classifyHighLevelFailure(res.status, res.headers, parsed, new Date());
    await countUsage(call, started, res.status, failure.errorClass);
    log.debug({ path: call.path, status: res.status, errorClass: failure.errorClass }, 'HighLevel call failed');
    throw failure;
  }

  const grantOf = (r: AccessCodeResponse | LocationTokenResponse): TokenGrant => ({
    accessToken: r.access_token!,
    refreshToken: 'refresh_token' in r ? r.refresh_token : undefined,
    expiresInSeconds: r.expires_in ?? 86_399,
  });

  const clientForm = (extra: Record<string, string>) => ({
    client_id: config.highlevel.clientId,
    client_secret: config.highlevel.clientSecret,
    ...extra,
  });

  /**
   * Turns an installation's refresh token into a new grant. Location tokens minted from an agency token have no
   * refresh token: they are minted again from the company installation.
   */
  const refresher: Refresher = async (inst) => {
    if (inst.refreshToken) {
      const r = await send<AccessCodeResponse>({
        method: 'POST',
        path: '/oauth/token',
        form: clientForm({ grant_type: 'refresh_token', refresh_token: inst.refreshToken, user_type: inst.userType }),
      });
      return grantOf(r);
    }
    if (inst.userType === 'Location' && inst.locationId) {
      const { rows } = await pool.query<{ id: number }>(
        `SELECT id FROM hl_installations WHERE company_id = $1 AND location_id IS NULL AND status = 'active'`,
        [inst.companyId],
      );
      if (rows[0]) return client.mintLocationToken(rows[0].id, inst.companyId, inst.locationId);
    }
    throw new IntegrationError({
      integration: 'highlevel',
      errorClass: ErrorClass.AuthFailed,
      message: `installation ${inst.installationId} has no refresh token and no agency installation to mint one`,
    });
  };

  /**
   * Calls an endpoint with the installation's token; one 401 refreshes past that token's version and tries again.
   * `extra` adds the query or body (and a path that takes an id).
   */
  async function authed<T>(
    installationId: number,
    endpoint: Pick<Call, 'method' | 'path' | 'version'>,
    extra: Partial<Pick<Call, 'query' | 'json' | 'form' | 'path'>> = {},
  ): Promise<T> {
    const call = { ...endpoint, ...extra };
    const first = await tokenStore.accessToken(installationId, refresher);
    try {
      return await send<T>({ ...call, bearer: first.token });
    } catch (err) {
      if (!(err instanceof IntegrationError) || err.status !== 401) throw err;
      const renewed = await tokenStore.refresh(installationId, refresher, { pastVersion: first.version });
      return send<T>({ ...call, bearer: renewed.token });
    }
  }

  const client = {
    refresher,

    /**
     * Exchanges an authorization code from the OAuth callback for the installation's first grant. `redirectUri` is
     * the one the install page was given: HighLevel redeems a code only with it. `userType` is what the install
     * asked for; without it (an install begun in the marketplace) the code's own type is granted.
     */
    async exchangeCode(code: string, redirectUri: string, userType?: 'Company' | 'Location') {
      const r = await send<AccessCodeResponse>({
        method: 'POST',
        path: '/oauth/token',
        form: clientForm({
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          ...(userType ? { user_type: userType } : {}),
        }),
      });
      return { grant: grantOf(r), companyId: r.companyId, locationId: r.locationId ?? null };
    },

    /** A location token minted from the agency installation's token (no refresh token comes with it). */
    async mintLocationToken(agencyInstallationId: number, companyId: string, locationId: string): Promise<TokenGrant> {
      const r = await authed<LocationTokenResponse>(agencyInstallationId, ENDPOINT.locationToken, {
        form: { companyId, locationId },
      });
      return grantOf(r);
    },

    installedLocations(
      agencyInstallationId: number,
      q: { companyId: string; appId: string; skip?: number; limit?: number },
    ) {
      return authed<InstalledLocations>(agencyInstallationId, ENDPOINT.installedLocations, { query: q });
    },

    getLocation(installationId: number, locationId: string) {
      return authed<{ location?: Location }>(installationId, ENDPOINT.getLocation, {
        path: `${ENDPOINT.getLocation.path}${encodeURIComponent(locationId)}`,
      });
    },

    /** One page of contacts; past 10,000 records pass the last contact's `searchAfter` instead of a page number. */
    searchContacts(
      installationId: number,
      q: { locationId: string; pageLimit?: number; page?: number; searchAfter?: [number, string]; query?: string },
    ) {
      return authed<ContactSearchResult>(installationId, ENDPOINT.searchContacts, { json: q });
    },

    upsertContact(installationId: number, contact: UpsertContactInput) {
      return authed<UpsertContactResult>(installationId, ENDPOINT.upsertContact, {
        json: { createNewIfDuplicateAllowed: false, ...contact },
      });
    },

    listContacts(
      installationId: number,
      q: { locationId: string; limit?: number; startAfter?: number; startAfterId?: string },
    ) {
      return authed<ContactList>(installationId, ENDPOINT.listContacts, { query: q });
    },

    /** Whether the API answers at all: an unauthenticated call must come back as HighLevel's own 401. */
    async ping(): Promise<{ reachable: boolean; status?: number }> {
      try {
        await send({ ...ENDPOINT.getLocation, path: `${ENDPOINT.getLocation.path}ping` });
        return { reachable: true, status: 200 };
      } catch (err) {
        if (err instanceof IntegrationError && err.status !== undefined && err.status < 500) {
          return { reachable: true, status: err.status };
        }
        throw err;
      }
    },
  };
  return client;
}

export type HighLevelClient = ReturnType<typeof createHighLevelClient>;
