import { serve } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../logger.js';

/** A text message the simulator accepted. */
export interface SimulatedSms {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  body: string;
  dateCreated: string;
}

export interface SmsSimulatorOptions {
  /** 0 picks a free port. */
  port: number;
  log: Logger;
  /** The account the simulator accepts; defaults to the demo account of src/config.ts. */
  account?: { sid: string; authToken: string };
}

export interface SmsSimulator {
  url: string;
  messages(): SimulatedSms[];
  stop(): Promise<void>;
}

/** Twilio's error body: `{code, message, more_info, status}`. */
function twilioError(c: Context, status: 400 | 401 | 404 | 500 | 503, code: number, message: string) {
  return c.json({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, status);
}

/**
 * Starts a Twilio-compatible SMS API simulator: `POST /2010-04-01/Accounts/{sid}/Messages.json` (form-encoded,
 * basic auth, Twilio's validation and error bodies) and the `/__sim` control API: `GET /__sim/messages?to=`,
 * `GET /__sim/stats`, `POST /__sim/faults` (`{"rate5xx": 0.5, "latencyMs": 50}`), `POST /__sim/reset`.
 *
 * @example
 * const sms = await startSmsSimulator({ port: 4030, log });
 * const sent = await (await fetch(`${sms.url}/__sim/messages`)).json();
 */
export async function startSmsSimulator(options: SmsSimulatorOptions): Promise<SmsSimulator> {
  const account = options.account ?? { sid: 'ACdemo00000000000000000000000000', authToken: 'demo-sms-token' };
  const store: SimulatedSms[] = [];
  const faults = { rate5xx: 0, latencyMs: 0 };
  const stats = { requests: 0, accepted: 0, rejected: 0, failed: 0 };

  const app = new Hono();
  app.get('/__sim/messages', (c) => {
    const to = c.req.query('to');
    return c.json(store.filter((m) => !to || m.to === to));
  });
  app.get('/__sim/stats', (c) => c.json({ ...stats, messages: store.length }));
  app.post('/__sim/faults', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as Partial<typeof faults>;
    Object.assign(faults, {
      rate5xx: Number(body.rate5xx ?? faults.rate5xx),
      latencyMs: Number(body.latencyMs ?? faults.latencyMs),
    });
    return c.json(faults);
  });
  app.post('/__sim/reset', (c) => {
    store.length = 0;
    Object.assign(faults, { rate5xx: 0, latencyMs: 0 });
    Object.assign(stats, { requests: 0, accepted: 0, rejected: 0, failed: 0 });
    return c.body(null, 204);
  });

  /** Latency, basic auth for the account in the path, injected 5xx: what every account resource answers first. */
  const guard = async (c: Context, sid: string): Promise<Response | undefined> => {
    stats.requests++;
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    const [scheme, encoded] = (c.req.header('authorization') ?? '').split(' ');
    const [user, pass] = Buffer.from(encoded ?? '', 'base64')
      .toString()
      .split(':');
    if (scheme !== 'Basic' || user !== account.sid || pass !== account.authToken || sid !== account.sid) {
      stats.rejected++;
      return twilioError(c, 401, 20003, 'Authenticate');
    }
    if (faults.rate5xx > 0 && Math.random() < faults.rate5xx) {
      stats.failed++;
      return twilioError(c, 503, 20500, 'Service unavailable');
    }
    return undefined;
  };

  // The account resource, as Twilio answers `GET /2010-04-01/Accounts/{sid}.json` (a cheap authenticated read).
  app.get('/2010-04-01/Accounts/:file', async (c) => {
    const file = c.req.param('file');
    if (!file.endsWith('.json'))
      return twilioError(c, 404, 20404, `The requested resource ${c.req.path} was not found`);
    const refused = await guard(c, file.slice(0, -'.json'.length));
    if (refused) return refused;
    return c.json({
      sid: account.sid,
      friendly_name: 'Opsflow SMS simulator',
      status: 'active',
      type: 'Full',
      uri: `/2010-04-01/Accounts/${account.sid}.json`,
    });
  });

  app.post('/2010-04-01/Accounts/:sid/Messages.json', async (c) => {
    const refused = await guard(c, c.req.param('sid'));
    if (refused) return refused;
    const form = await c.req.parseBody();
    const to = typeof form.To === 'string' ? form.To : '';
    const from = typeof form.From === 'string' ? form.From : '';
    const body = typeof form.Body === 'string' ? form.Body : '';
    if (!/^\+[1-9]\d{6,14}$/.test(to)) {
      stats.rejected++;
      return twilioError(c, 400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    }
    if (!from) {
      stats.rejected++;
      return twilioError(c, 400, 21603, "A 'From' phone number is required.");
    }
    if (!body) {
      stats.rejected++;
      return twilioError(c, 400, 21602, 'Message body is required.');
    }
    const message: SimulatedSms = {
      sid: `SM${randomBytes(16).toString('hex')}`,
      accountSid: account.sid,
      to,
      from,
      body,
      dateCreated: new Date().toUTCString(),
    };
    store.push(message);
    stats.accepted++;
    return c.json(
      {
        sid: message.sid,
        account_sid: message.accountSid,
        to,
        from,
        body,
        status: 'queued',
        num_segments: String(Math.ceil(body.length / 160)),
        direction: 'outbound-api',
        date_created: message.dateCreated,
        uri: `/2010-04-01/Accounts/${account.sid}/Messages/${message.sid}.json`,
      },
      201,
    );
  });
  app.notFound((c) => twilioError(c, 404, 20404, `The requested resource ${c.req.path} was not found`));

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  options.log.info({ url }, 'SMS simulator listening');
  return {
    url,
    messages: () => [...store],
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
