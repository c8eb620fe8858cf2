import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { loadKeyring } from '../../integrations/crypto.js';
import { WEBHOOK_TOLERANCE_MS } from '../../integrations/highlevel/webhook-window.js';
import { createTokenStore } from '../../integrations/token-store.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { jsonResponse } from '../schemas.js';
import { recordSecurityEvent, SECURITY_EVENT, type SecurityEventType } from '../security-events.js';

const Event = z.object({
  type: z.string(),
  webhookId: z.string().min(1),
  timestamp: z.iso.datetime({ offset: true }),
  companyId: z.string().min(1),
  locationId: z.string().min(1).optional(),
  installType: z.enum(['Location', 'Company']).optional(),
});

const Accepted = z.object({ received: z.literal(true), action: z.string() }).openapi('HighLevelWebhookAccepted');

const route = createRoute({
  method: 'post',
  path: '/webhooks/highlevel',
  summary: 'HighLevel INSTALL/UNINSTALL webhook (authenticated by its Ed25519 signature, not a bearer token)',
  tags: ['webhooks'],
  security: [],
  request: { headers: z.object({ 'x-ghl-signature': z.string().optional() }) },
  responses: {
    200: jsonResponse(Accepted, 'Verified and applied'),
    400: { description: 'Signed, but not a HighLevel event' },
    401: { description: 'Bad or missing signature, stale timestamp, or a replay; nothing was stored' },
  },
});

/** Accepts PEM or base64 SPKI (DER), the two forms HighLevel's key is published in. */
function parseKey(text: string): KeyObject {
  return text.includes('BEGIN')
    ? createPublicKey(text)
    : createPublicKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'spki' });
}

/**
 * `POST /webhooks/highlevel`: verifies the Ed25519 signature of the raw body (`X-GHL-Signature`) against
 * `HIGHLEVEL_WEBHOOK_PUBLIC_KEY` (in demo mode, the simulator's key), refuses stale timestamps and replays (a
 * webhook id seen before), then INSTALL creates or re-activates the installation and UNINSTALL revokes it, in one
 * transaction with the webhook id, and writes `hl_audit_log`. Anything refused stores nothing but its
 * `security_events` row (never the signature).
 *
 * @example
 * app.route('/', highlevelWebhookRoutes(deps));
 */
export function highlevelWebhookRoutes({ config, pool, log }: Pick<ApiDeps, 'config' | 'pool' | 'log'>) {
  let key: Promise<KeyObject> | undefined;
  const publicKey = () =>
    (key ??= (async () => {
      if (config.highlevel.webhookPublicKey) return parseKey(config.highlevel.webhookPublicKey);
      if (!config.demo) throw new Error('HIGHLEVEL_WEBHOOK_PUBLIC_KEY is not configured');
      const res = await fetch(`${config.highlevel.baseUrl}/__sim/webhook-public-key`);
      if (!res.ok) throw new Error(`the HighLevel simulator did not give its webhook key (HTTP ${res.status})`);
      return parseKey(await res.text());
    })().catch((err: unknown) => {
      key = undefined;
      throw err;
    }));
  let store: ReturnType<typeof createTokenStore> | undefined;
  const tokenStore = () => (store ??= createTokenStore({ pool, keyring: loadKeyring(config, log), log }));

  return new OpenAPIHono().openapi(route, async (c) => {
    const refuse = (type: SecurityEventType, reason: string, webhookId?: string) => {
      recordSecurityEvent({ pool, log }, c, type, { details: { reason, ...(webhookId && { webhookId }) } });
      return new ApiError(401, 'invalid_webhook', reason);
    };
    const raw = await c.req.text();
    const signature = c.req.header('x-ghl-signature');
    if (!signature) throw refuse(SECURITY_EVENT.webhookSignatureInvalid, 'missing X-GHL-Signature');
    const valid = verify(null, Buffer.from(raw), await publicKey(), Buffer.from(signature, 'base64'));
    if (!valid) throw refuse(SECURITY_EVENT.webhookSignatureInvalid, 'signature does not match the body');
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new ApiError(400, 'bad_request', 'body is not JSON');
    }
    const parsed = Event.safeParse(json);
    if (!parsed.success) throw new ApiError(400, 'bad_request', `not a HighLevel event: ${parsed.error.message}`);
    const event = parsed.data;
    if (Math.abs(Date.now() - Date.parse(event.timestamp)) > WEBHOOK_TOLERANCE_MS) {
      throw refuse(SECURITY_EVENT.webhookReplayed, 'timestamp outside the accepted window', event.webhookId);
    }

    const db = await pool.connect();
    try {
      await db.query('BEGIN');
      const { rowCount } = await db.query(
        `INSERT INTO hl_webhook_events (webhook_id, event_type, company_id, location_id, event_timestamp)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (webhook_id) DO NOTHING`,
        [event.webhookId, event.type, event.companyId, event.locationId ?? null, event.timestamp],
      );
      if (rowCount === 0)
        throw refuse(SECURITY_EVENT.webhookReplayed, 'webhook already received (replay)', event.webhookId);
      const locationId = event.locationId ?? null;
      let action = 'ignored';
      if (event.type === 'INSTALL') {
        const userType = event.installType ?? (locationId ? 'Location' : 'Company');
        await tokenStore().upsertInstallation(
          { companyId: event.companyId, locationId, userType, actor: 'webhook' },
          db,
        );
        action = 'installed';
      } else if (event.type === 'UNINSTALL') {
        const inst = await tokenStore().findInstallation(event.companyId, locationId, db);
        if (inst) await tokenStore().revoke(inst.id, 'webhook', db);
        action = inst ? 'revoked' : 'unknown-installation';
      }
      await db.query('COMMIT');
      log.info({ webhookId: event.webhookId, type: event.type, action }, 'HighLevel webhook applied');
      return c.json({ received: true as const, action }, 200);
    } catch (err) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      db.release();
    }
  });
}
