import { createHash } from 'node:crypto';
import nodemailer from 'nodemailer';
import { httpFailure, networkFailure, NotificationError } from './errors.js';
import { emailHtml, emailText, smsBody, webhookPayload } from './render.js';
import type { NotificationMessage, Recipient, WebhookFormat } from './types.js';

const TIMEOUT_MS = 10_000;

/** Settings of the Twilio-compatible SMS API (the simulator's in demo mode). */
export interface SmsSettings {
  apiUrl: string;
  accountSid: string;
  authToken: string;
  from: string;
}

/** A recipient as it may be shown in timelines, logs and outbox keys: webhook URLs carry secrets, so hash them. */
export function recipientLabel(r: Recipient): string {
  if (r.channel !== 'webhook') return r.target;
  let host = 'invalid-url';
  try {
    host = new URL(r.target).host;
  } catch {
    // an invalid URL still gets a stable label; sending it fails as a validation error
  }
  const hash = createHash('sha256').update(r.target).digest('hex').slice(0, 8);
  return `${r.format ?? 'slack'}:${host}#${hash}`;
}

/** Sends email over SMTP (HTML and text parts). Returns the server's message id. */
export function emailSender(smtpUrl: string, from: string) {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(to: string, m: NotificationMessage): Promise<string> {
      try {
        const info = await transport.sendMail({ from, to, subject: m.subject, text: emailText(m), html: emailHtml(m) });
        if (info.rejected.length > 0) throw new NotificationError(`mail server refused ${to}`, 'ValidationFailed');
        return info.messageId;
      } catch (err) {
        const code = (err as { responseCode?: number }).responseCode;
        if (code !== undefined && code >= 500 && code < 600) {
          throw new NotificationError(`mail server refused ${to}: ${(err as Error).message}`, 'ValidationFailed');
        }
        throw networkFailure('mail server', err);
      }
    },
    close: () => transport.close(),
  };
}

async function post(what: string, url: string, init: RequestInit): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, method: 'POST', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    throw networkFailure(what, err);
  }
  const body = await res.text().catch(() => '');
  if (!res.ok) throw httpFailure(what, res.status, body);
  return body;
}

/** POSTs the message to an incoming webhook in Slack, Discord or Teams format. */
export async function sendWebhook(url: string, format: WebhookFormat, m: NotificationMessage): Promise<undefined> {
  await post(`${format} webhook`, url, {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(webhookPayload(format, m)),
  });
  return undefined;
}

/** Sends an SMS through a Twilio-compatible Messages API. Returns the provider's message sid. */
export async function sendSms(settings: SmsSettings, to: string, m: NotificationMessage): Promise<string> {
  const url = `${settings.apiUrl.replace(/\/$/, '')}/2010-04-01/Accounts/${encodeURIComponent(settings.accountSid)}/Messages.json`;
  const body = await post('SMS provider', url, {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${settings.accountSid}:${settings.authToken}`).toString('base64')}`,
    },
    body: new URLSearchParams({ To: to, From: settings.from, Body: smsBody(m) }).toString(),
  });
  try {
    return String((JSON.parse(body) as { sid?: string }).sid ?? '');
  } catch {
    return '';
  }
}
