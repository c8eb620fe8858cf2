/**
 * The ZOHO simulator's rate limits, as the vendor enforces them per organization: a per-minute window, a daily
 * cap and a bound on concurrent calls; plus the accounts host's 10 access tokens per refresh token per 10 minutes.
 */

/** Limits of the simulated plan; tests shrink them to reach each limit quickly. */
export interface ZohoSimLimits {
  /** Calls per organization per window (the vendor's per-minute limit). */
  perMinute: number;
  /** Length of the per-minute window; shortened in tests so a 429 is waited out in seconds. */
  windowSeconds: number;
  /** Calls per organization per UTC day. */
  perDay: number;
  /** Calls in flight per organization. */
  concurrent: number;
  /** Access tokens per refresh token per `tokenWindowSeconds`. */
  tokensPerWindow: number;
  tokenWindowSeconds: number;
  /** Lifetime of an access token. */
  tokenTtlSeconds: number;
}

export const DEFAULT_LIMITS: ZohoSimLimits = {
  perMinute: 150,
  windowSeconds: 60,
  perDay: 25_000,
  concurrent: 10,
  tokensPerWindow: 10,
  tokenWindowSeconds: 600,
  tokenTtlSeconds: 3600,
};

/** Why a call was refused: the vendor's body code and how long to wait. */
export interface LimitHit {
  code: 44 | 45 | 1070;
  retryAfterSeconds: number;
}

const DAY_MS = 86_400_000;

/** Counts calls per organization and answers whether the next one is allowed. */
export class OrganizationLimiter {
  private windows = new Map<string, { start: number; count: number }>();
  private days = new Map<string, { day: number; count: number }>();
  private inFlight = new Map<string, number>();

  constructor(public limits: ZohoSimLimits) {}

  /** Admits a call (counting it) or says which limit it hit. Call `release` when an admitted call ends. */
  admit(org: string, now = Date.now()): LimitHit | undefined {
    const day = Math.floor(now / DAY_MS);
    const daily = this.days.get(org);
    const dayCount = daily?.day === day ? daily.count : 0;
    if (dayCount >= this.limits.perDay) {
      return { code: 45, retryAfterSeconds: Math.ceil(((day + 1) * DAY_MS - now) / 1000) };
    }
    // A window opens with the first call after the last one closed, so a test knows exactly when it ends.
    const windowMs = this.limits.windowSeconds * 1000;
    const window = this.windows.get(org);
    const open = window !== undefined && now < window.start + windowMs;
    const start = open ? window.start : now;
    const count = open ? window.count : 0;
    if (count >= this.limits.perMinute) {
      return { code: 44, retryAfterSeconds: Math.max(1, Math.ceil((start + windowMs - now) / 1000)) };
    }
    const flying = this.inFlight.get(org) ?? 0;
    if (flying >= this.limits.concurrent) return { code: 1070, retryAfterSeconds: 1 };
    this.windows.set(org, { start, count: count + 1 });
    this.days.set(org, { day, count: dayCount + 1 });
    this.inFlight.set(org, flying + 1);
    return undefined;
  }

  release(org: string): void {
    this.inFlight.set(org, Math.max(0, (this.inFlight.get(org) ?? 1) - 1));
  }

  /** Calls counted today for an organization (for the stats). */
  usedToday(org: string, now = Date.now()): number {
    const daily = this.days.get(org);
    return daily?.day === Math.floor(now / DAY_MS) ? daily.count : 0;
  }

  reset(): void {
    this.windows.clear();
    this.days.clear();
    this.inFlight.clear();
  }
}
