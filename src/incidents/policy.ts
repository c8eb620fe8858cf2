/**
 * Escalation policy types and pure helpers. Pure on purpose: the configuration builds policies from the
 * environment, and the `escalateIncident` workflow receives them as input and evaluates them deterministically.
 */

export const SEVERITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type EscalationLevel = 1 | 2 | 3;

/** Quiet hours: low severities hold their notifications while the local time falls inside. */
export interface QuietHours {
  /** IANA time zone the hours and weekdays are read in. */
  timeZone: string;
  /** `HH:MM` start; a start later than the end spans midnight (22:00–07:00). Absent: no daily quiet hours. */
  start?: string;
  end?: string;
  /** Whole quiet days, 0 = Sunday … 6 = Saturday. */
  days: number[];
}

/** How one severity escalates. */
export interface SeverityPolicy {
  /** Time to acknowledge before the next level is notified. */
  ackTimeoutSeconds: number;
  /** How many times the last level is notified again after its first notice. */
  repeats: number;
  /** After an acknowledgement: not resolved within this time → the incident re-opens and escalation resumes. */
  resolveWithinSeconds?: number;
  /** Whether quiet hours hold this severity's notifications. */
  quiet: boolean;
}

/** The policy an incident runs with: its severity's policy plus the shared quiet hours. */
export interface IncidentPolicy extends SeverityPolicy {
  /** Number of escalation levels (1–3). */
  levels: EscalationLevel;
  quietHours?: QuietHours;
}

export const DEFAULT_SEVERITY_POLICIES: Record<Severity, SeverityPolicy> = {
  P1: { ackTimeoutSeconds: 15 * 60, repeats: 2, quiet: false },
  P2: { ackTimeoutSeconds: 60 * 60, repeats: 2, quiet: false },
  P3: { ackTimeoutSeconds: 4 * 60 * 60, repeats: 1, quiet: true },
  P4: { ackTimeoutSeconds: 24 * 60 * 60, repeats: 0, quiet: true },
};

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Reads a duration such as `90`, `90s`, `15m`, `4h` or `1d` as seconds; undefined when it is not one.
 *
 * @example
 * parseDurationSeconds('15m') // 900
 */
export function parseDurationSeconds(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([smhd]?)$/.exec(value.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNITS[match[2] || 's']!);
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** Reads `sat,sun` into weekday numbers; undefined when a name is unknown. */
export function parseWeekdays(names: string[]): number[] | undefined {
  const days = names.map((n) => WEEKDAYS.indexOf(n.trim().toLowerCase().slice(0, 3)));
  return days.every((d) => d >= 0) ? days : undefined;
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

// Building a formatter is the costly part; quietUntil asks thousands of times, so keep one per time zone.
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The weekday (0 = Sunday) and minute of the day of `atMs` in `timeZone`. */
function localTime(atMs: number, timeZone: string): { day: number; minute: number } {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, format);
  }
  const parts = format.formatToParts(atMs);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    day: WEEKDAYS.indexOf(get('weekday').toLowerCase().slice(0, 3)),
    minute: Number(get('hour')) * 60 + Number(get('minute')),
  };
}

/** True when `atMs` falls inside the quiet hours or on a quiet day. */
export function isQuiet(atMs: number, quiet: QuietHours): boolean {
  const { day, minute } = localTime(atMs, quiet.timeZone);
  if (quiet.days.includes(day)) return true;
  if (!quiet.start || !quiet.end) return false;
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  return start <= end ? minute >= start && minute < end : minute >= start || minute < end;
}

/**
 * When the quiet period around `atMs` ends (ms), or undefined when `atMs` is not quiet. Steps forward a minute
 * at a time (bounded to 8 days), so time-zone offsets and daylight-saving changes need no special cases.
 */
export function quietUntil(atMs: number, quiet: QuietHours): number | undefined {
  if (!isQuiet(atMs, quiet)) return undefined;
  const step = 60_000;
  let t = Math.ceil(atMs / step) * step;
  for (let i = 0; i < 8 * 24 * 60; i++, t += step) if (!isQuiet(t, quiet)) return t;
  return undefined;
}

/** Channels notified at each level: 1 operations (email, webhook), 2 engineering (adds SMS), 3 everyone. */
export const LEVEL_CHANNELS = {
  1: ['email', 'webhook'],
  2: ['email', 'webhook', 'sms'],
  3: ['email', 'webhook', 'sms'],
} as const;
