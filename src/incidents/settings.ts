import { z } from 'zod';
import { csvList } from '../env-schemas.js';
import type { EscalationTargets, WebhookFormat } from '../notifications/types.js';
import type { SmsSettings } from '../notifications/senders.js';
import {
  DEFAULT_SEVERITY_POLICIES,
  parseDurationSeconds,
  parseWeekdays,
  SEVERITIES,
  type QuietHours,
  type Severity,
  type SeverityPolicy,
} from './policy.js';

/**
 * The environment variables of notifications and incident escalation, spread into `src/config.ts`'s schema
 * (which stays the only reader of the environment). Documented in README's configuration table.
 */

const list = csvList;

const emails = list.refine(
  (l) => l.every((e) => /^[^@\s]+@[^@\s]+$/.test(e)),
  'expected comma-separated email addresses',
);
const phones = list.refine(
  (l) => l.every((p) => /^\+[1-9]\d{6,14}$/.test(p)),
  'expected comma-separated E.164 numbers (+15551234567)',
);

/** `slack=https://…`, `discord=https://…`, `teams=https://…`; a bare URL is guessed from its host (else Slack). */
function parseWebhook(entry: string): { url: string; format: WebhookFormat } | undefined {
  const match = /^(slack|discord|teams)=(.+)$/.exec(entry);
  const url = match ? match[2]! : entry;
  try {
    const host = new URL(url).host;
    const format =
      (match?.[1] as WebhookFormat | undefined) ??
      (host.includes('discord') ? 'discord' : /office|azure|teams/.test(host) ? 'teams' : 'slack');
    return { url, format };
  } catch {
    return undefined;
  }
}
const webhooks = list.refine(
  (l) => l.every((w) => parseWebhook(w) !== undefined),
  'expected comma-separated webhook URLs, each optionally prefixed slack=, discord= or teams=',
);

const duration = z
  .string()
  .optional()
  .refine(
    (v) => v === undefined || v.trim() === '' || parseDurationSeconds(v) !== undefined,
    'expected a duration such as 90s, 15m, 4h or 1d',
  );

const PolicyOverride = z
  .object({
    ackTimeout: z.string().refine((v) => parseDurationSeconds(v) !== undefined, 'expected a duration such as 15m'),
    repeats: z.number().int().min(0).max(20),
    resolveWithin: z.string().refine((v) => parseDurationSeconds(v) !== undefined, 'expected a duration such as 4h'),
    quiet: z.boolean(),
  })
  .partial()
  .strict();

const policyJson = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (!v?.trim()) return {};
    try {
      const parsed = z.partialRecord(z.enum(SEVERITIES), PolicyOverride).safeParse(JSON.parse(v));
      if (parsed.success) return parsed.data;
      ctx.addIssue({
        code: 'custom',
        message: `expected {"P1": {"ackTimeout": "5m", "repeats": 3, "resolveWithin": "4h", "quiet": false}}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
      });
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected JSON' });
    }
    return z.NEVER;
  });

export const INCIDENT_ENV = {
  OPSFLOW_ESCALATION_L1_EMAILS: emails,
  OPSFLOW_ESCALATION_L1_WEBHOOKS: webhooks,
  OPSFLOW_ESCALATION_L1_SMS: phones,
  OPSFLOW_ESCALATION_L2_EMAILS: emails,
  OPSFLOW_ESCALATION_L2_WEBHOOKS: webhooks,
  OPSFLOW_ESCALATION_L2_SMS: phones,
  OPSFLOW_ESCALATION_L3_EMAILS: emails,
  OPSFLOW_ESCALATION_L3_WEBHOOKS: webhooks,
  OPSFLOW_ESCALATION_L3_SMS: phones,
  OPSFLOW_INCIDENT_ACK_P1: duration,
  OPSFLOW_INCIDENT_ACK_P2: duration,
  OPSFLOW_INCIDENT_ACK_P3: duration,
  OPSFLOW_INCIDENT_ACK_P4: duration,
  OPSFLOW_INCIDENT_POLICY: policyJson,
  OPSFLOW_QUIET_HOURS: z
    .string()
    .optional()
    .refine(
      (v) => !v?.trim() || /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/.test(v.trim()),
      'expected HH:MM-HH:MM, e.g. 22:00-07:00',
    ),
  OPSFLOW_QUIET_DAYS: list.refine((l) => parseWeekdays(l) !== undefined, 'expected weekday names, e.g. sat,sun'),
  SMS_API_URL: z.url({ error: 'expected an absolute URL' }).optional(),
  TWILIO_ACCOUNT_SID: z.string().trim().optional(),
  TWILIO_AUTH_TOKEN: z.string().trim().optional(),
  SMS_FROM: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$|^[A-Za-z0-9 ]{1,11}$/, 'expected an E.164 number or an alphanumeric sender id')
    .optional(),
  OPSFLOW_SMS_SIM_PORT: z.coerce.number({ error: 'expected a port number' }).int().min(1).max(65535).default(4030),
};

type IncidentEnv = z.output<z.ZodObject<typeof INCIDENT_ENV>>;

/** Notification settings in `Config`. */
export interface NotificationSettings {
  /** Who each escalation level notifies. */
  escalation: Record<1 | 2 | 3, EscalationTargets>;
  /** Twilio-compatible SMS API; the local simulator when no account is configured. */
  sms: SmsSettings & { simulated: boolean; simulatorPort: number };
}

/** Incident settings in `Config`: policies per severity and quiet hours. */
export interface IncidentSettings {
  policies: Record<Severity, SeverityPolicy>;
  quietHours?: QuietHours;
}

/**
 * Demo mode without any configured target pages example addresses, so the captured-mail listing and the SMS
 * simulator show something.
 */
const DEMO_TARGETS: Record<1 | 2 | 3, EscalationTargets> = {
  1: { emails: ['ops@example.com'], webhooks: [], sms: [] },
  2: { emails: ['engineering@example.com'], webhooks: [], sms: ['+15550100002'] },
  3: { emails: ['management@example.com'], webhooks: [], sms: ['+15550100003'] },
};

function targets(e: IncidentEnv, level: 1 | 2 | 3): EscalationTargets {
  const key = `OPSFLOW_ESCALATION_L${level}` as const;
  return {
    emails: e[`${key}_EMAILS`],
    webhooks: e[`${key}_WEBHOOKS`].map((w) => parseWebhook(w)!),
    sms: e[`${key}_SMS`],
  };
}

/** Configured targets per level; in demo mode with none configured at all, the example targets. */
function escalationTargets(e: IncidentEnv, demo: boolean): Record<1 | 2 | 3, EscalationTargets> {
  const configured = { 1: targets(e, 1), 2: targets(e, 2), 3: targets(e, 3) };
  const any = Object.values(configured).some((t) => t.emails.length + t.webhooks.length + t.sms.length > 0);
  return !any && demo ? DEMO_TARGETS : configured;
}

/**
 * Builds the notification and incident settings from the parsed variables.
 *
 * @example
 * const { notifications, incidents } = incidentSettings(parsedEnv, { demo: true, timeZone: 'UTC' });
 */
export function incidentSettings(
  e: IncidentEnv,
  options: { demo: boolean; timeZone: string },
): { notifications: NotificationSettings; incidents: IncidentSettings } {
  const policies = Object.fromEntries(
    SEVERITIES.map((sev) => {
      const base = DEFAULT_SEVERITY_POLICIES[sev];
      const override = e.OPSFLOW_INCIDENT_POLICY[sev] ?? {};
      const ack = e[`OPSFLOW_INCIDENT_ACK_${sev}`];
      const policy: SeverityPolicy = {
        ackTimeoutSeconds:
          (ack?.trim() ? parseDurationSeconds(ack) : undefined) ??
          (override.ackTimeout ? parseDurationSeconds(override.ackTimeout) : undefined) ??
          base.ackTimeoutSeconds,
        repeats: override.repeats ?? base.repeats,
        resolveWithinSeconds: override.resolveWithin ? parseDurationSeconds(override.resolveWithin) : undefined,
        quiet: override.quiet ?? base.quiet,
      };
      return [sev, policy];
    }),
  ) as Record<Severity, SeverityPolicy>;

  const [start, end] = e.OPSFLOW_QUIET_HOURS?.trim() ? e.OPSFLOW_QUIET_HOURS.trim().split('-') : [];
  const days = parseWeekdays(e.OPSFLOW_QUIET_DAYS) ?? [];
  const quietHours = start || days.length > 0 ? { timeZone: options.timeZone, start, end, days } : undefined;

  const simulated = !e.TWILIO_ACCOUNT_SID;
  return {
    notifications: {
      escalation: escalationTargets(e, options.demo),
      sms: {
        apiUrl: e.SMS_API_URL ?? (simulated ? `http://127.0.0.1:${e.OPSFLOW_SMS_SIM_PORT}` : 'https://api.twilio.com'),
        accountSid: e.TWILIO_ACCOUNT_SID || 'ACdemo00000000000000000000000000',
        authToken: e.TWILIO_AUTH_TOKEN || 'demo-sms-token',
        from: e.SMS_FROM ?? '+15550100000',
        simulated,
        simulatorPort: e.OPSFLOW_SMS_SIM_PORT,
      },
    },
    incidents: { policies, quietHours },
  };
}
