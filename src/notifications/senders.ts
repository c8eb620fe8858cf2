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

/**
 * The SMTP transport mail goes through. A health probe passes a short `timeoutMs` so a dead or silent server
 * answers within it (nodemailer's own defaults wait minutes).
 */
function smtpTransport(smtpUrl: string, timeoutMs?: number) {
  return nodemailer.createTransport(
    timeoutMs === undefined
      ? smtpUrl
      : { url: smtpUrl, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs },
  );
}

/** Sends email over SMTP (HTML and text parts). Returns the server's message id. */
export function emailSender(smtpUrl: string, from: string) {
  const transport = smtpTransport(smtpUrl);
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

/**
 * Connects to the SMTP server mail goes through and logs in when the URL carries credentials, sending nothing.
 * Throws when the server cannot be reached, does not greet within `timeoutMs`, or refuses the login. Answers the
 * server as `host:port` (never the URL, which may carry the password).
 *
 * @example
 * const { server } = await verifySmtp(smtpUrlOf(config), 5_000);
 */
export async function verifySmtp(smtpUrl: string, timeoutMs: number): Promise<{ server: string }> {
  const transport = smtpTransport(smtpUrl, timeoutMs);
  try {
    await transport.verify();
  } finally {
    transport.close();
  }
  return { server: new URL(smtpUrl).host };
}

/** POSTs and reads the answer; no answer at all is a retryable network failure. */
async function requestFor(
  what: string,
  url: string,
  init: RequestInit,
  timeoutMs = TIMEOUT_MS,
): Promise<{ status: number; body: string }> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw networkFailure(what, err);
  }
  return { status: res.status, body: await res.text().catch(() => '') };
}

/** POSTs and answers the body of a success; any other answer is a classified failure. */
async function post(what: string, url: string, init: RequestInit): Promise<string> {
  const { status, body } = await requestFor(what, url, init);
  if (status < 200 || status >= 300) throw httpFailure(what, status, body);
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

/** The account's resources (`…/Accounts/{sid}`) and the basic-auth header every request to them carries. */
function smsAccount(settings: SmsSettings) {
  return {
    base: `${settings.apiUrl.replace(/\/$/, '')}/2010-04-01/Accounts/${encodeURIComponent(settings.accountSid)}`,
    authorization: `Basic ${Buffer.from(`${settings.accountSid}:${settings.authToken}`).toString('base64')}`,
  };
}

/** Sends an SMS through a Twilio-compatible Messages API. Returns the provider's message sid. */
export async function sendSms(settings: SmsSettings, to: string, m: NotificationMessage): Promise<string> {
  const { base, authorization } = smsAccount(settings);
  const body = await post('SMS provider', `${base}/Messages.json`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    body: new URLSearchParams({ To: to, From: settings.from, Body: smsBody(m) }).toString(),
  });
  try {
    return String((JSON.parse(body) as { sid?: string }).sid ?? '');
  } catch {
    return '';
  }
}

/**
 * Checks that the SMS API is reachable and accepts the account's credentials, without sending anything: it reads
 * the account resource (`GET /2010-04-01/Accounts/{sid}.json`). A 401 means the credentials were refused; anything
 * but a 200 (no answer, 5xx, 429) that the provider is not usable now.
 *
 * @example
 * await verifySmsAccount(config.notifications.sms, 5_000); // throws a NotificationError when unusable
 */
export async function verifySmsAccount(settings: SmsSettings, timeoutMs: number): Promise<{ api: string }> {
  const { base, authorization } = smsAccount(settings);
  const { status, body } = await requestFor(
    'SMS provider',
    `${base}.json`,
    { method: 'GET', headers: { authorization } },
    timeoutMs,
  );
  if (status !== 200) throw httpFailure('SMS provider', status, body);
  return { api: new URL(settings.apiUrl).host };
}
