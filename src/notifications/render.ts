import { escapeHtml } from '../html.js';
import type { NotificationMessage, WebhookFormat } from './types.js';

const COLORS: Record<string, string> = { P1: '#d32f2f', P2: '#f57c00', P3: '#fbc02d', P4: '#1976d2' };
const colorOf = (severity?: string) => COLORS[severity ?? ''] ?? '#607d8b';
/** An incident's link is its Web UI page; other messages link to Opsflow's own pages. */
const linkLabel = (m: NotificationMessage) => (m.incident ? 'Open in Temporal' : 'Open in Opsflow');

/** The email's plain-text part: the text, then the link. */
export function emailText(m: NotificationMessage): string {
  const lines = [m.link ? `Open: ${m.link}` : '', ...(m.actions ?? []).map((a) => `${a.text}: ${a.href}`)];
  const links = lines.filter(Boolean).join('\n');
  return links ? `${m.text}\n\n${links}\n` : `${m.text}\n`;
}

const button = (href: string, label: string, color: string) =>
  `<a href="${escapeHtml(href)}" style="background:${color};color:#fff;padding:8px 14px;text-decoration:none;border-radius:4px;margin-right:8px">${escapeHtml(label)}</a>`;

/** The action buttons of a message, for an HTML part given whole (a report) or built here. */
function actionButtons(m: NotificationMessage): string {
  return (m.actions ?? []).map((a) => button(a.href, a.text, '#2e7d32')).join('');
}

/** The email's HTML part: the given HTML, or the text as paragraphs with a button-like link. */
export function emailHtml(m: NotificationMessage): string {
  if (m.html) {
    const actions = actionButtons(m);
    return actions ? m.html.replace(/<body([^>]*)>/i, `<body$1><p>${actions}</p>`) : m.html;
  }
  const paragraphs = m.text
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
  const buttons = (m.link ? button(m.link, linkLabel(m), colorOf(m.severity)) : '') + actionButtons(m);
  const link = buttons ? `<p>${buttons}</p>` : '';
  return `<!doctype html><html><body style="font-family:sans-serif">
<h2 style="border-left:6px solid ${colorOf(m.severity)};padding-left:8px">${escapeHtml(m.subject)}</h2>
${paragraphs}
${link}
</body></html>`;
}

/** Longest SMS body sent: two concatenated segments' worth; longer texts cost more and arrive split. */
export const SMS_MAX_LENGTH = 320;

/**
 * The SMS body: the subject (severity first), the link, then each action as `<text>: <link>` (an incident's
 * acknowledge link). Links are never cut. When all of it does not fit, the Web UI link is left out (acknowledging
 * is what a phone is for; the acknowledge page names the incident), and then the subject is shortened.
 */
export function smsBody(m: NotificationMessage): string {
  const actions = (m.actions ?? []).map((a) => ` ${a.text}: ${a.href}`).join('');
  const whole = `${m.subject}${m.link ? ` ${m.link}` : ''}${actions}`;
  if (whole.length <= SMS_MAX_LENGTH) return whole;
  const tail = actions || (m.link ? ` ${m.link}` : '');
  const room = SMS_MAX_LENGTH - tail.length;
  return `${m.subject.length <= room ? m.subject : `${m.subject.slice(0, Math.max(room - 3, 0))}...`}${tail}`;
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
          ...(m.link ? [{ type: 'section', text: { type: 'mrkdwn', text: `<${m.link}|${linkLabel(m)}>` } }] : []),
          ...(m.actions ?? []).map((a) => ({
            type: 'section',
            text: { type: 'mrkdwn', text: `<${a.href}|${a.text}>` },
          })),
        ],
      };
    case 'discord':
      return {
        content: m.subject.slice(0, 2000),
        embeds: [
          {
            title: m.subject.slice(0, 256),
            description: [m.text, ...(m.actions ?? []).map((a) => `[${a.text}](${a.href})`)]
              .join('\n\n')
              .slice(0, 4000),
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
        potentialAction: [
          ...(m.link ? [{ '@type': 'OpenUri', name: linkLabel(m), targets: [{ os: 'default', uri: m.link }] }] : []),
          ...(m.actions ?? []).map((a) => ({
            '@type': 'OpenUri',
            name: a.text,
            targets: [{ os: 'default', uri: a.href }],
          })),
        ],
      };
  }
}
