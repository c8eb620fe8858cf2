import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../logger.js';
import { LEVEL_CHANNELS } from '../incidents/policy.js';
import { NotificationError } from './errors.js';
import { createLinks, withLinkToken } from './links.js';
import { sendOnce } from './outbox.js';
import { emailSender, recipientLabel, sendSms, sendWebhook } from './senders.js';
import type { Delivery, NotificationMessage, Recipient } from './types.js';

/** Sends messages by email, webhook and SMS, each recipient's copy at most once through the outbox. */
export interface Notifier {
  /**
   * Delivers a message to each recipient. Copies already sent are skipped. Every copy is attempted; then, if
   * any failed for a reason a retry can fix, it throws (a retry sends only the missing copies). Copies that
   * failed for good (a refused address) are reported in the result as `failed`.
   */
  send(message: NotificationMessage): Promise<Delivery[]>;
  /** Who a message goes to: its recipients, or its level's configured targets for the allowed channels. */
  recipientsOf(message: NotificationMessage): Recipient[];
  close(): void;
}

/** The SMTP server mail goes to: the configured one, else the local capture server of the embedded stack. */
export function smtpUrlOf(config: Config): string {
  return config.mail.smtpUrl ?? `smtp://127.0.0.1:${config.mail.capturePort}`;
}

/**
 * Creates the notifier shared by every workflow's notification activity.
 *
 * @example
 * const notifier = createNotifier({ config, pool, log });
 * await notifier.send({ idempotencyKey: 'report/daily/2026-11-22', subject: 'Daily report', text: '…', level: 1 });
 */
export function createNotifier({ config, pool, log }: { config: Config; pool: Pool; log: Logger }): Notifier {
  const mail = emailSender(smtpUrlOf(config), config.mail.from);
  const links = createLinks(config);

  /**
   * One recipient's copy with its links: the incident's Web UI page and an acknowledge link signed for them (in its
   * short form for a text message).
   */
  function linked(r: Recipient, m: NotificationMessage): NotificationMessage {
    if (m.incident) {
      const { id, workflowId, level } = m.incident;
      const ack = links.acknowledge({
        incidentId: id,
        level,
        recipient: recipientLabel(r),
        compact: r.channel === 'sms',
      });
      return {
        ...m,
        link: links.workflowPage(workflowId),
        actions: [...(m.actions ?? []), { text: 'Acknowledge', href: ack }],
      };
    }
    if (m.report && m.link) {
      const token = links.reportToken(m.report.id);
      return {
        ...m,
        link: `${m.link}?link=${token}`,
        text: withLinkToken(m.text, m.link, token, false),
        html: m.html && withLinkToken(m.html, m.link, token, true),
      };
    }
    return m;
  }

  function recipientsOf(m: NotificationMessage): Recipient[] {
    const listed = m.recipients ?? [];
    const targets = m.level ? config.notifications.escalation[m.level] : undefined;
    const allowed = new Set(m.channels ?? (m.level ? LEVEL_CHANNELS[m.level] : ['email', 'webhook', 'sms']));
    const fromLevel: Recipient[] = targets
      ? [
          ...targets.emails.map((target) => ({ channel: 'email' as const, target })),
          ...targets.webhooks.map((w) => ({ channel: 'webhook' as const, target: w.url, format: w.format })),
          ...targets.sms.map((target) => ({ channel: 'sms' as const, target })),
        ]
      : [];
    return [...listed, ...fromLevel].filter((r) => allowed.has(r.channel));
  }

  function deliver(r: Recipient, m: NotificationMessage): Promise<string | undefined> {
    switch (r.channel) {
      case 'email':
        return mail.send(r.target, m);
      case 'webhook':
        return sendWebhook(r.target, r.format ?? 'slack', m);
      case 'sms':
        return sendSms(config.notifications.sms, r.target, m);
    }
  }

  return {
    recipientsOf,
    async send(m) {
      const retryable: string[] = [];
      const deliveries = await Promise.all(
        recipientsOf(m).map(async (r): Promise<Delivery> => {
          const target = recipientLabel(r);
          const key = `${m.idempotencyKey}/${r.channel}/${target}`;
          try {
            const status = await sendOnce(
              pool,
              { key, channel: r.channel, target, subject: m.subject, body: { text: m.text, link: m.link } },
              () => deliver(r, linked(r, m)),
            );
            return { channel: r.channel, target, key, status };
          } catch (err) {
            log.warn({ key, err: (err as Error).message }, 'notification failed');
            const permanent = err instanceof NotificationError && err.permanent;
            if (!permanent) retryable.push(`${key}: ${(err as Error).message}`);
            return { channel: r.channel, target, key, status: 'failed', error: (err as Error).message };
          }
        }),
      );
      if (retryable.length > 0) throw new NotificationError(retryable.join('; '), 'ServerError');
      return deliveries;
    },
    close: () => mail.close(),
  };
}
