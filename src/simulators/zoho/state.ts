import { randomBytes } from 'node:crypto';
import { ZOHO_ENTITIES, type ZohoEntity } from '../../integrations/zoho/types.js';
import { DEFAULT_LIMITS, OrganizationLimiter, type ZohoSimLimits } from './limits.js';
import { buildRecord, referenceOf, ZOHO_ENTITY, type SimRecord } from './records.js';

/** Faults a test or benchmark injects through `POST /__sim/faults`. */
export interface ZohoSimFaults {
  /** Share of API calls answered 429 (code 44, Retry-After 1). */
  rate429: number;
  /** Share of API calls answered 500. */
  rate5xx: number;
  /** Added to every API call. */
  latencyMs: number;
  /** Every API and token call has its connection dropped without an answer. */
  outage: boolean;
}

const NO_FAULTS: ZohoSimFaults = { rate429: 0, rate5xx: 0, latencyMs: 0, outage: false };

/** The OAuth client the simulated accounts host knows (the demo credentials unless told otherwise). */
export interface ZohoSimCredentials {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

export const DEMO_CREDENTIALS: ZohoSimCredentials = {
  clientId: 'demo-zoho-client',
  clientSecret: 'demo-zoho-secret',
  refreshToken: 'demo-zoho-refresh-token',
};

export const DEMO_ORGANIZATION = { organization_id: '10234695', name: 'Opsflow Demo Billing', currency_code: 'USD' };

/** Everything the simulator remembers; in memory, cleared by `POST /__sim/reset`. */
export class ZohoSimState {
  faults: ZohoSimFaults = { ...NO_FAULTS };
  readonly limiter: OrganizationLimiter;
  private readonly initialLimits: ZohoSimLimits;
  records = new Map<ZohoEntity, Map<string, SimRecord>>();
  accessTokens = new Map<string, number>();
  refreshTokenRevoked = false;
  tokenGrants: number[] = [];
  stats = this.emptyStats();
  private nextId = 903000000100000;

  constructor(
    readonly credentials: ZohoSimCredentials,
    readonly organizations: Array<typeof DEMO_ORGANIZATION>,
    limits: Partial<ZohoSimLimits> = {},
  ) {
    this.initialLimits = { ...DEFAULT_LIMITS, ...limits };
    this.limiter = new OrganizationLimiter({ ...this.initialLimits });
    this.clearRecords();
  }

  private emptyStats() {
    return {
      requests: { total: 0, byStatus: {} as Record<string, number> },
      rateLimited: { '44': 0, '45': 0, '1070': 0 } as Record<string, number>,
      tokens: { granted: 0, refused: 0 },
      duplicateCreates: { total: 0, byEntity: {} as Record<string, number> },
    };
  }

  private clearRecords(): void {
    for (const entity of ZOHO_ENTITIES) this.records.set(entity, new Map());
  }

  /** Back to the start: no records, faults, counts or stats, the limits it started with. Issued tokens stay valid. */
  reset(): void {
    this.faults = { ...NO_FAULTS };
    this.limiter.limits = { ...this.initialLimits };
    this.limiter.reset();
    this.clearRecords();
    this.refreshTokenRevoked = false;
    this.tokenGrants = [];
    this.stats = this.emptyStats();
  }

  table(entity: ZohoEntity): Map<string, SimRecord> {
    return this.records.get(entity)!;
  }

  lookup = (entity: ZohoEntity, id: string): SimRecord | undefined => this.table(entity).get(id);

  /** Issues an access token, or says why the accounts host refuses (`error` as the vendor spells it). */
  grant(now = Date.now()): { token: string } | { error: string; description?: string } {
    const limits = this.limiter.limits;
    this.tokenGrants = this.tokenGrants.filter((t) => t > now - limits.tokenWindowSeconds * 1000);
    if (this.tokenGrants.length >= limits.tokensPerWindow) {
      return {
        error: 'Access Denied',
        description: 'You have made too many requests continuously. Please try again after some time.',
      };
    }
    this.tokenGrants.push(now);
    const token = `1000.${randomBytes(16).toString('hex')}.${randomBytes(16).toString('hex')}`;
    this.accessTokens.set(token, now + limits.tokenTtlSeconds * 1000);
    return { token };
  }

  tokenValid(token: string, now = Date.now()): boolean {
    return (this.accessTokens.get(token) ?? 0) > now;
  }

  /** Stores a record under a new id (or the one given), counting a duplicate when its reference is taken. */
  create(entity: ZohoEntity, body: SimRecord, now = new Date()): SimRecord {
    const given = body[ZOHO_ENTITY[entity].id];
    const id = typeof given === 'string' && given !== '' ? given : String(this.nextId++);
    const record = buildRecord(entity, id, body, this.lookup, now);
    const reference = referenceOf(entity, record);
    if (reference && [...this.table(entity).values()].some((r) => referenceOf(entity, r) === reference)) {
      this.stats.duplicateCreates.total += 1;
      this.stats.duplicateCreates.byEntity[entity] = (this.stats.duplicateCreates.byEntity[entity] ?? 0) + 1;
    }
    this.table(entity).set(id, record);
    return record;
  }

  update(entity: ZohoEntity, id: string, body: SimRecord, now = new Date()): SimRecord | undefined {
    const existing = this.table(entity).get(id);
    if (!existing) return undefined;
    const record = buildRecord(entity, id, body, this.lookup, now, existing);
    this.table(entity).set(id, record);
    return record;
  }

  snapshot() {
    return {
      ...this.stats,
      records: Object.fromEntries(ZOHO_ENTITIES.map((e) => [e, this.table(e).size])),
      usedToday: Object.fromEntries(
        this.organizations.map((o) => [o.organization_id, this.limiter.usedToday(o.organization_id)]),
      ),
      faults: this.faults,
      limits: this.limiter.limits,
    };
  }
}
