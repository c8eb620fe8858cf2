import type { Pool } from '../db/pool.js';
import { NotificationError } from './errors.js';
import type { Channel } from './types.js';

/** One recipient's copy of a message, as the outbox stores it. */
export interface OutboxEntry {
  key: string;
  channel: Channel;
  target: string;
  subject: string;
  body: Record<string, unknown>;
}

/**
 * Sends a message at most once per idempotency key: insert-or-get the outbox row, lock it, send only when it
 * is not already `sent`, and mark it sent in the same transaction. A second attempt running at the same time
 * finds the row locked and fails retryably; by its retry the row says `sent`.
 *
 * The lock is held while sending (seconds at most), which is what makes a concurrent retry unable to send too.
 *
 * @example
 * await sendOnce(pool, entry, () => mailer.send(to, message));
 */
export async function sendOnce(
  pool: Pool,
  entry: OutboxEntry,
  send: () => Promise<string | undefined>,
): Promise<'sent' | 'already-sent'> {
  await pool.query(
    `INSERT INTO notifications (idempotency_key, channel, target, subject, body)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idempotency_key) DO NOTHING`,
    [entry.key, entry.channel, entry.target, entry.subject, JSON.stringify(entry.body)],
  );
  const db = await pool.connect();
  try {
    await db.query('BEGIN');
    let status: string | undefined;
    try {
      const { rows } = await db.query<{ status: string }>(
        'SELECT status FROM notifications WHERE idempotency_key = $1 FOR UPDATE NOWAIT',
        [entry.key],
      );
      status = rows[0]?.status;
    } catch (err) {
      if ((err as { code?: string }).code === '55P03') {
        throw new NotificationError(`${entry.key} is being sent by another attempt`, 'ServerError');
      }
      throw err;
    }
    if (status === 'sent') {
      await db.query('COMMIT');
      return 'already-sent';
    }
    try {
      const providerId = await send();
      await db.query(
        `UPDATE notifications SET status = 'sent', sent_at = now(), attempts = attempts + 1, provider_id = $2,
           last_error = NULL WHERE idempotency_key = $1`,
        [entry.key, providerId || null],
      );
      await db.query('COMMIT');
      return 'sent';
    } catch (err) {
      await db.query(
        `UPDATE notifications SET status = 'failed', attempts = attempts + 1, last_error = $2 WHERE idempotency_key = $1`,
        [entry.key, (err as Error).message.slice(0, 500)],
      );
      await db.query('COMMIT');
      throw err;
    }
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    db.release();
  }
}

/**
 * Whether any recipient's copy of a message has gone out: its outbox rows are keyed `<idempotencyKey>/<channel>/<to>`.
 *
 * @example
 * if (await anyCopySent(pool, notice.idempotencyKey)) await notifier.send(notice); // finish what was begun
 */
export async function anyCopySent(pool: Pool, idempotencyKey: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    `SELECT 1 FROM notifications WHERE starts_with(idempotency_key, $1 || '/') AND status = 'sent' LIMIT 1`,
    [idempotencyKey],
  );
  return (rowCount ?? 0) > 0;
}
