import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config.js';

/** How long a notice's acknowledge link works: a day, long after any escalation level's deadline. */
export const ACK_LINK_TTL_SECONDS = 24 * 3600;
/** How long a report email's link opens the report: two weeks, past the next weekly report. */
export const REPORT_LINK_TTL_SECONDS = 14 * 24 * 3600;

/** What a signed link allows: acknowledging one incident (once), or reading one report. */
export type LinkClaims =
  | { purpose: 'acknowledge'; incidentId: string; level: number; recipient: string; nonce: string; expires: number }
  | { purpose: 'report'; reportId: string; nonce: string; expires: number };

/** A link that is not one Opsflow signed, or no longer valid. `status` is the HTTP status its page answers with. */
export class LinkError extends Error {
  constructor(
    readonly status: 403 | 410,
    message: string,
  ) {
    super(message);
    this.name = 'LinkError';
  }
}

const secrets = new WeakMap<Config, Buffer>();

/**
 * The key links are signed with: OPSFLOW_LINK_SECRET, else (outside demo mode) one derived from the operator token
 * by config.ts, else (demo mode) one generated once and kept under the data directory like the API token.
 */
export function linkSecret(config: Config): Buffer {
  let secret = secrets.get(config);
  if (!secret) {
    if (config.links.secret) secret = Buffer.from(config.links.secret);
    else {
      const file = config.links.secretFile;
      mkdirSync(dirname(file), { recursive: true });
      try {
        // 'wx': of two processes starting at once, one writes the secret and both read it.
        writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      secret = Buffer.from(readFileSync(file, 'utf8').trim());
    }
    secrets.set(config, secret);
  }
  return secret;
}

const mac = (secret: Buffer, body: string) => createHmac('sha256', secret).update(`opsflow-link.v1.${body}`).digest();

/**
 * Signs claims into a URL-safe token: the claims as base64url JSON, a dot, and their HMAC-SHA256.
 *
 * @example
 * signLink(secret, { purpose: 'report', reportId: 'report-weekly-1', nonce: 'n', expires: 1767225600 })
 */
export function signLink(secret: Buffer, claims: LinkClaims): string {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

/**
 * The claims of a token this server signed for `purpose`, still valid at `now`; a `LinkError` otherwise
 * (a forged or altered token is a 403, an expired one a 410).
 */
export function verifyLink<P extends LinkClaims['purpose']>(
  secret: Buffer,
  token: string,
  purpose: P,
  now = Date.now(),
): Extract<LinkClaims, { purpose: P }> {
  const [body = '', signature = ''] = token.split('.', 2);
  const expected = mac(secret, body);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new LinkError(403, 'This link is not valid: it was altered or not issued by Opsflow.');
  }
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as LinkClaims;
  if (claims.purpose !== purpose) throw new LinkError(403, 'This link is not valid here.');
  if (claims.expires * 1000 <= now) throw new LinkError(410, 'This link has expired.');
  return claims as Extract<LinkClaims, { purpose: P }>;
}

/**
 * The links notices carry, built where they are sent so neither the secret nor a signed link enters a workflow.
 *
 * @example
 * const links = createLinks(config);
 * links.acknowledge({ incidentId: 'inc-1', level: 1, recipient: 'oncall@example.com' });
 */
export function createLinks(config: Config) {
  const expiry = (ttl: number, now: number) => Math.floor(now / 1000) + ttl;
  const nonce = () => randomBytes(12).toString('base64url');
  return {
    /** The incident's workflow page in the Temporal Web UI. */
    workflowPage(workflowId: string): string {
      const ns = encodeURIComponent(config.temporal.namespace);
      return `${config.temporal.uiUrl}/namespaces/${ns}/workflows/${encodeURIComponent(workflowId)}`;
    },
    /** A single-use acknowledge link for one recipient of one level's notice; `expires` for tests of expiry. */
    acknowledge(
      a: { incidentId: string; level: number; recipient: string },
      now = Date.now(),
      ttl = ACK_LINK_TTL_SECONDS,
    ) {
      const token = signLink(linkSecret(config), {
        purpose: 'acknowledge',
        ...a,
        nonce: nonce(),
        expires: expiry(ttl, now),
      });
      return `${config.api.publicUrl}/links/acknowledge?token=${token}`;
    },
    /** The `link` query parameter that opens a report's pages (read-only) without an API token. */
    reportToken(reportId: string, now = Date.now(), ttl = REPORT_LINK_TTL_SECONDS): string {
      return signLink(linkSecret(config), { purpose: 'report', reportId, nonce: nonce(), expires: expiry(ttl, now) });
    },
  };
}

/**
 * `content` with every link to `base` (the report page, its CSV exports, its anchors) carrying the signed `token`,
 * so a reader of the email opens all of them without an API token. `html` escapes the query's `&`.
 */
export function withLinkToken(content: string, base: string, token: string, html: boolean): string {
  return content
    .replaceAll(`${base}?`, `${base}?link=${token}${html ? '&amp;' : '&'}`)
    .replace(new RegExp(`${escapeRegExp(base)}(?![?\\w/-])`, 'g'), `${base}?link=${token}`);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
