import { z } from '@hono/zod-openapi';
import { SEVERITIES } from '../../incidents/policy.js';

const text = (max: number) => z.string().trim().min(1, 'required').max(max);
export const IncidentId = z
  .string()
  .min(1)
  .max(300)
  .openapi({ param: { name: 'id', in: 'path' }, example: 'incident-zoho-5xx-20261122-091500123' });

export const OpenIncidentBody = z
  .object({
    title: text(200).openapi({ example: 'ZOHO answers 503 to invoice sync' }),
    severity: z.enum(SEVERITIES).openapi({ example: 'P2' }),
    description: z.string().max(5000).optional(),
    source: z.string().max(100).optional().openapi({ example: 'monitor' }),
    dedupKey: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[A-Za-z0-9._:-]+$/, 'expected letters, digits, dots, dashes, colons or underscores')
      .optional()
      .openapi({ example: 'zoho-5xx' }),
    ackTimeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 86400)
      .optional()
      .openapi({ example: 900 }),
  })
  .openapi('OpenIncident');

export const Opened = z
  .object({
    id: z.string(),
    workflowId: z.string(),
    status: z.enum(['open', 'acknowledged', 'resolved']),
    level: z.number(),
    triggerCount: z.number(),
    deduplicated: z.boolean(),
  })
  .openapi('IncidentOpened');

const By = text(200).openapi({ example: 'alice@example.com' });
export const ActorBody = z.object({ by: By, message: z.string().max(5000).optional() }).openapi('IncidentAction');
export const NoteBody = z.object({ by: By, message: text(5000) }).openapi('IncidentNote');
export const SnoozeBody = z
  .object({
    by: By,
    seconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 86400)
      .openapi({ example: 1800 }),
    message: z.string().max(5000).optional(),
  })
  .openapi('IncidentSnooze');
export const ReassignBody = z
  .object({
    by: By,
    assignee: text(200).openapi({ example: 'bob@example.com' }),
    message: z.string().max(5000).optional(),
  })
  .openapi('IncidentReassign');
export const ResolveBody = z
  .object({
    by: By,
    rootCause: text(5000),
    resolution: text(5000),
    prevention: text(5000),
    customerImpact: text(5000),
  })
  .openapi('IncidentResolve');

const TimelineEvent = z.object({
  at: z.string(),
  type: z.string(),
  level: z.number().optional(),
  channel: z.string().optional(),
  target: z.string().optional(),
  by: z.string().optional(),
  message: z.string().optional(),
  dueAt: z.string().optional(),
});

export const Incident = z
  .object({
    id: z.string(),
    workflowId: z.string(),
    title: z.string(),
    severity: z.enum(SEVERITIES),
    status: z.enum(['open', 'acknowledged', 'resolved']),
    level: z.number(),
    triggerCount: z.number(),
    openedAt: z.string(),
    lastSeenAt: z.string().optional(),
    acknowledgedAt: z.string().optional(),
    acknowledgedBy: z.string().optional(),
    resolvedAt: z.string().optional(),
    assignee: z.string().optional(),
    description: z.string().optional(),
    source: z.string().optional(),
    dedupKey: z.string().optional(),
    nextDeadline: z.string().optional(),
    pausedBy: z.string().optional(),
    pausedUntil: z.string().optional(),
    snoozedUntil: z.string().optional(),
    exhausted: z.boolean().optional(),
    timeline: z.array(TimelineEvent),
    postmortem: z
      .object({
        rootCause: z.string(),
        resolution: z.string(),
        prevention: z.string(),
        customerImpact: z.string(),
        resolvedBy: z.string(),
      })
      .optional(),
  })
  .openapi('Incident');

export const IncidentSummary = Incident.pick({
  id: true,
  workflowId: true,
  title: true,
  severity: true,
  status: true,
  level: true,
  triggerCount: true,
  openedAt: true,
}).openapi('IncidentSummary');

export const ListQuery = z.object({
  status: z.enum(['open', 'acknowledged', 'resolved']).optional(),
  severity: z.enum(SEVERITIES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
