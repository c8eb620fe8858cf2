import { z } from '@hono/zod-openapi';
import { BACKFILL_MODES, ZOHO_ENTITIES } from '../../backfill/entities.js';

/** Upper bound of a run's own budget: the vendor's per-minute plan limit leaves no room above this. */
export const MAX_REQUESTS_PER_MINUTE = 100_000;

const Counters = z.object({
  total: z.number().int().optional(),
  processed: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
});

export const StartBackfillBody = z
  .object({
    integration: z.enum(['zoho', 'highlevel']).openapi({ example: 'zoho' }),
    entities: z
      .array(z.enum([...ZOHO_ENTITIES, 'contacts']))
      .min(1)
      .openapi({ example: ['customers', 'subscriptions', 'invoices', 'payments'] }),
    mode: z.enum(BACKFILL_MODES).openapi({ example: 'unsynced' }),
    since: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ description: 'Records created at or after this time' }),
    until: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Records created before this time' }),
    failedSince: z.iso.datetime({ offset: true }).optional().openapi({
      description: 'Mode `failed` only: records whose last failure is at or after this time',
      example: '2026-11-21T06:00:00Z',
    }),
    failedUntil: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ description: 'Mode `failed` only: records whose last failure is before this time' }),
    dryRun: z
      .boolean()
      .optional()
      .openapi({ description: 'Send nothing; report what would be sent and its API calls' }),
    maxRequestsPerMinute: z.number().int().min(1).max(MAX_REQUESTS_PER_MINUTE).optional(),
  })
  .superRefine((body, ctx) => {
    const allowed: readonly string[] = body.integration === 'zoho' ? ZOHO_ENTITIES : ['contacts'];
    body.entities.forEach((entity, i) => {
      if (!allowed.includes(entity)) {
        ctx.addIssue({
          code: 'custom',
          path: ['entities', i],
          message: `${entity} is not a ${body.integration} entity (expected ${allowed.join(', ')})`,
        });
      }
    });
    if (body.since && body.until && Date.parse(body.since) >= Date.parse(body.until)) {
      ctx.addIssue({ code: 'custom', path: ['until'], message: 'expected a time after since' });
    }
    for (const field of ['failedSince', 'failedUntil'] as const) {
      if (body[field] && (body.mode !== 'failed' || body.integration !== 'zoho')) {
        ctx.addIssue({ code: 'custom', path: [field], message: 'only with integration zoho and mode failed' });
      }
    }
    if (body.failedSince && body.failedUntil && Date.parse(body.failedSince) >= Date.parse(body.failedUntil)) {
      ctx.addIssue({ code: 'custom', path: ['failedUntil'], message: 'expected a time after failedSince' });
    }
  })
  .openapi('StartBackfill');

export const BackfillStarted = z
  .object({
    id: z.string(),
    workflowId: z.string(),
    status: z.enum(['running', 'paused', 'completed', 'failed', 'cancelled']),
  })
  .openapi('BackfillStarted');

export const BackfillSchema = z
  .object({
    id: z.string(),
    status: z.enum(['running', 'paused', 'completed', 'failed', 'cancelled']),
    integration: z.enum(['zoho', 'highlevel']),
    mode: z.enum(BACKFILL_MODES),
    dryRun: z.boolean(),
    progress: Counters,
    byEntity: z.record(z.string(), Counters),
    errorsByClass: z.record(z.string(), z.number().int()),
    estimatedApiCalls: z.number().int().optional(),
    apiCalls: z.number().int(),
    batchSize: z.number().int(),
    runs: z.number().int(),
    wouldSend: z.record(z.string(), z.object({ records: z.number().int(), sample: z.array(z.string()) })).optional(),
    waitingForQuotaMs: z.number().optional(),
    error: z.string().optional(),
  })
  .openapi('Backfill');

export const ControlBody = z.object({ by: z.string().min(1).max(200).optional() }).openapi('BackfillControl');
