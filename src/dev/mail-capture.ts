import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Logger } from '../logger.js';

/** A message as the capture server received it. */
export interface CapturedMessage {
  id: number;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  receivedAt: string;
}

export interface MailCapture {
  smtpUrl: string;
  mailboxUrl: string;
  messages(): CapturedMessage[];
  stop(): Promise<void>;
}

const KEEP = 2000;

/**
 * A local SMTP server that accepts every message and lists them over HTTP, standing in for a real mail
 * server in demo mode and in tests.
 *
 * HTTP: `GET /messages?to=&subject=` (newest last), `GET /messages/:id`, `DELETE /messages`.
 *
 * @example
 * const mail = await startMailCapture({ smtpPort: 1025, httpPort: 1080, log });
 */
export async function startMailCapture(options: {
  smtpPort: number;
  httpPort: number;
  host?: string;
  log: Logger;
}): Promise<MailCapture> {
  const host = options.host ?? '127.0.0.1';
  const store: CapturedMessage[] = [];
  let nextId = 1;

  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          store.push({
            id: nextId++,
            from: mail.from?.text ?? session.envelope.mailFrom?.toString() ?? '',
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : '',
            receivedAt: new Date().toISOString(),
          });
          if (store.length > KEEP) store.splice(0, store.length - KEEP);
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(options.smtpPort, host, () => resolve());
  });

  const app = new Hono();
  app.get('/messages', (c) => {
    const to = c.req.query('to');
    const subject = c.req.query('subject');
    return c.json(store.filter((m) => (!to || m.to.includes(to)) && (!subject || m.subject.includes(subject))));
  });
  app.get('/messages/:id', (c) => {
    const message = store.find((m) => m.id === Number(c.req.param('id')));
    return message ? c.json(message) : c.json({ error: { code: 'not_found', message: 'no such message' } }, 404);
  });
  app.delete('/messages', (c) => {
    store.length = 0;
    return c.body(null, 204);
  });
  const http: ServerType = await new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: options.httpPort, hostname: host }, () => resolve(server));
  });
  options.log.info(
    { component: 'mail', smtp: `${host}:${options.smtpPort}`, http: options.httpPort },
    'mail capture listening',
  );

  return {
    smtpUrl: `smtp://${host}:${options.smtpPort}`,
    mailboxUrl: `http://${host}:${options.httpPort}`,
    messages: () => [...store],
    stop: async () => {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    },
  };
}
