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

/** Marks the compact form of an acknowledge token (SMS): plain fields and a 128-bit signature. */
const COMPACT_ACK = 'a1';
const COMPACT_MAC_BYTES = 16;
type AckClaims = Extract<LinkClaims, { purpose: 'acknowledge' }>;

/** A field of a compact token in URL-unreserved characters only (`~XX` for the rest), so no decoding alters it. */
const field = (v: string | number) =>
  encodeURIComponent(String(v))
    .replace(/[.!~*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll('%', '~');
const unfield = (f: string) => decodeURIComponent(f.replaceAll('~', '%'));

/**
 * Signs acknowledge claims into a short token for SMS, where every character counts: `a1.<incident>.<level>.
 * <recipient>.<nonce>.<expires>.<signature>`, plain fields (the expiry in base 36) instead of base64 JSON, the
 * HMAC-SHA256 over them truncated to 128 bits (RFC 2104 allows half the hash). About half the length of
 * `signLink`'s tokens; `verifyLink` reads both.
 *
 * @example
 * signCompactAck(secret, { purpose: 'acknowledge', incidentId: 'incident-1', level: 2, recipient: '+15550100', nonce: 'n', expires: 1767225600 })
 */
export function signCompactAck(secret: Buffer, c: AckClaims): string {
  const body = [COMPACT_ACK, c.incidentId, c.level, c.recipient, c.nonce, c.expires.toString(36)].map(field).join('.');
  return `${body}.${mac(secret, body).subarray(0, COMPACT_MAC_BYTES).toString('base64url')}`;
}

const forged = () => new LinkError(403, 'This link is not valid: it was altered or not issued by Opsflow.');

/** The claims of a token whose signature holds, in either form. */
function signedClaims(secret: Buffer, token: string): LinkClaims {
  const compact = token.startsWith(`${COMPACT_ACK}.`);
  const cut = compact ? token.lastIndexOf('.') : token.indexOf('.');
  const body = cut < 0 ? token : token.slice(0, cut);
  const signature = cut < 0 ? '' : token.slice(cut + 1);
  const full = mac(secret, body);
  const expected = compact ? full.subarray(0, COMPACT_MAC_BYTES) : full;
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw forged();
  if (!compact) return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as LinkClaims;
  const [, incidentId = '', level = '', recipient = '', nonce = '', expires = ''] = body.split('.').map(unfield);
  return { purpose: 'acknowledge', incidentId, level: Number(level), recipient, nonce, expires: parseInt(expires, 36) };
}

/**
 * The claims of a token this server signed for `purpose` (either form), still valid at `now`; a `LinkError`
 * otherwise (a forged or altered token is a 403, an expired one a 410).
 */
export function verifyLink<P extends LinkClaims['purpose']>(
  secret: Buffer,
  token: string,
  purpose: P,
  now = Date.now(),
): Extract<LinkClaims, { purpose: P }> {
  const claims = signedClaims(secret, token);
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
  // 96 random bits; 72 in a compact (SMS) link, still never repeated in practice and 4 characters shorter.
  const nonce = (bytes = 12) => randomBytes(bytes).toString('base64url');
  return {
    /** The incident's workflow page in the Temporal Web UI. */
    workflowPage(workflowId: string): string {
      const ns = encodeURIComponent(config.temporal.namespace);
      return `${config.temporal.uiUrl}/namespaces/${ns}/workflows/${encodeURIComponent(workflowId)}`;
    },
    /**
     * A single-use acknowledge link for one recipient of one level's notice; `compact` signs the short form (SMS).
     * `now` and `ttl` for tests of expiry.
     */
    acknowledge(
      a: { incidentId: string; level: number; recipient: string; compact?: boolean },
      now = Date.now(),
      ttl = ACK_LINK_TTL_SECONDS,
    ) {
      const { compact, ...subject } = a;
      const claims = {
        purpose: 'acknowledge' as const,
        ...subject,
        nonce: nonce(compact ? 9 : 12),
        expires: expiry(ttl, now),
      };
      const token = compact ? signCompactAck(linkSecret(config), claims) : signLink(linkSecret(config), claims);
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
