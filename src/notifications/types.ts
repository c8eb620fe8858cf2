/** The kinds of message Opsflow sends; each has its own sender and outbox rows. */
export type Channel = 'email' | 'webhook' | 'sms';

/** Chat tools whose incoming-webhook formats Opsflow speaks. */
export const WEBHOOK_FORMATS = ['slack', 'discord', 'teams'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** Where one copy of a message goes: an address, a phone number (E.164), or a webhook URL with its format. */
export interface Recipient {
  channel: Channel;
  target: string;
  format?: WebhookFormat;
}

/** Who is notified at each escalation level (from configuration). */
export interface EscalationTargets {
  emails: string[];
  webhooks: Array<{ url: string; format: WebhookFormat }>;
  sms: string[];
}

/**
 * A message for people. Either `recipients` names them, or `level` sends to that escalation level's configured
 * targets (optionally restricted to `channels`), so workflows never carry webhook URLs (which embed secrets).
 */
export interface NotificationMessage {
  /** Unique per message; each recipient's copy is keyed `<idempotencyKey>/<channel>/<target>` in the outbox. */
  idempotencyKey: string;
  subject: string;
  /** Plain text; also the SMS body (with the link) and the chat message. */
  text: string;
  /** HTML body for email; a simple rendering of `text` when absent. */
  html?: string;
  /** A link to the thing the message is about (the incident, the report). */
  link?: string;
  /** Colours chat cards and prefixes SMS: P1…P4, or a runbook health. */
  severity?: string;
  /**
   * The incident a notice is about: each copy then links to its Web UI page and carries an acknowledge link signed
   * for its recipient and this level (built when sent, so no signed link enters a workflow).
   */
  incident?: { id: string; workflowId: string; level: 1 | 2 | 3 };
  /** The report a message is about: its links to the report page are signed when sent, to open without a token. */
  report?: { id: string };
  /** Further links shown with the message (buttons in email and chat); added by the notifier, never by workflows. */
  actions?: Array<{ text: string; href: string }>;
  recipients?: Recipient[];
  level?: 1 | 2 | 3;
  channels?: Channel[];
}

/** What happened to one recipient's copy. `already-sent`: the outbox had it; nothing was sent again. */
export interface Delivery {
  channel: Channel;
  /** The recipient as it may be shown and logged (webhook URLs are reduced to format, host and a hash). */
  target: string;
  key: string;
  status: 'sent' | 'already-sent' | 'failed';
  error?: string;
}
