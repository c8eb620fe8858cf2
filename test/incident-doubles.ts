/**
 * Test doubles of external systems for the notification and incident tests: a webhook receiver standing in
 * for Slack/Discord/Teams, the SMS simulator, and readers of the shared SMTP capture server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSmsSimulator, type SmsSimulator } from '../src/simulators/sms/index.js';
import { createLogger } from '../src/logger.js';
import { testStack } from './harness.js';

export interface WebhookReceiver {
  url: string;
  received: Array<{ path: string; body: Record<string, unknown> }>;
  /** Answer the next `n` requests with `status` (a failing chat tool). */
  failNext(n: number, status: number): void;
  stop(): Promise<void>;
}

/** A local HTTP endpoint recording every JSON POST, like a chat tool's incoming webhook. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: WebhookReceiver['received'] = [];
  let failing = { n: 0, status: 500 };
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (chunk: Buffer) => (data += chunk.toString()));
    req.on('end', () => {
      if (failing.n > 0) {
        failing.n--;
        res.writeHead(failing.status).end('failing on purpose');
        return;
      }
      received.push({ path: req.url ?? '/', body: JSON.parse(data || '{}') as Record<string, unknown> });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    failNext: (n, status) => (failing = { n, status }),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The SMS simulator on a free port. */
export function startSms(): Promise<SmsSimulator> {
  return startSmsSimulator({ port: 0, log: createLogger('warn') });
}

export interface CapturedMail {
  id: number;
  to: string[];
  subject: string;
  text: string;
  html: string;
}

/** Messages the shared SMTP capture server holds for `to`. */
export async function mailTo(to: string): Promise<CapturedMail[]> {
  const res = await fetch(`${testStack().mailboxUrl}/messages?to=${encodeURIComponent(to)}`);
  return (await res.json()) as CapturedMail[];
}
