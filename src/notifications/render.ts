import type { NotificationMessage, WebhookFormat } from './types.js';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const COLORS: Record<string, string> = { P1: '#d32f2f', P2: '#f57c00', P3: '#fbc02d', P4: '#1976d2' };
const colorOf = (severity?: string) => COLORS[severity ?? ''] ?? '#607d8b';

/** The email's plain-text part: the text, then the link. */
export function emailText(m: NotificationMessage): string {
  return m.link ? `${m.text}\n\nOpen: ${m.link}\n` : `${m.text}\n`;
}

/** The email's HTML part: the given HTML, or the text as paragraphs with a button-like link. */
export function emailHtml(m: NotificationMessage): string {
  if (m.html) return m.html;
  const paragraphs = m.text
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
  const link = m.link
    ? `<p><a href="${escapeHtml(m.link)}" style="background:${colorOf(m.severity)};color:#fff;padding:8px 14px;text-decoration:none;border-radius:4px">Open in Opsflow</a></p>`
    : '';
  return `<!doctype html><html><body style="font-family:sans-serif">
<h2 style="border-left:6px solid ${colorOf(m.severity)};padding-left:8px">${escapeHtml(m.subject)}</h2>
${paragraphs}
${link}
</body></html>`;
}

/** The SMS body: short, severity first, with the link. */
export function smsBody(m: NotificationMessage): string {
  const body = `${m.subject}${m.link ? ` ${m.link}` : ''}`;
  return body.length > 320 ? `${body.slice(0, 317)}...` : body;
}

/**
 * The JSON body of an incoming webhook in the chat tool's own format.
 *
 * @example
 * webhookPayload('slack', { idempotencyKey: 'k', subject: 'P1 database down', text: '...' })
 */
export function webhookPayload(format: WebhookFormat, m: NotificationMessage): unknown {
  switch (format) {
    case 'slack':
      return {
        text: m.subject,
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: m.subject.slice(0, 150) } },
          { type: 'section', text: { type: 'mrkdwn', text: m.text.slice(0, 2900) } },
          ...(m.link ? [{ type: 'section', text: { type: 'mrkdwn', text: `<${m.link}|Open in Opsflow>` } }] : []),
        ],
      };
    case 'discord':
      return {
        content: m.subject.slice(0, 2000),
        embeds: [
          {
            title: m.subject.slice(0, 256),
            description: m.text.slice(0, 4000),
            url: m.link,
            color: parseInt(colorOf(m.severity).slice(1), 16),
          },
        ],
      };
    case 'teams':
      return {
        '@type': 'MessageCard',
        '@context': 'https://schema.org/extensions',
        summary: m.subject,
        themeColor: colorOf(m.severity).slice(1),
        title: m.subject,
        text: m.text,
        potentialAction: m.link
          ? [{ '@type': 'OpenUri', name: 'Open in Opsflow', targets: [{ os: 'default', uri: m.link }] }]
          : [],
      };
  }
}
