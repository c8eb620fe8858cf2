/**
 * How far a signed HighLevel webhook's timestamp may be from now and still be accepted. Outside it a captured
 * webhook is refused as stale; inside it the `hl_webhook_events` row of its id is what refuses a replay, so those
 * rows must outlive it (see the `webhook-events` retention policy). Pure data: the workflows read it too.
 */
export const WEBHOOK_TOLERANCE_MS = 5 * 60_000;

/**
 * The youngest `hl_webhook_events` row retention may delete, by `received_at`: a webhook stamped up to the
 * tolerance in the future stays replayable until its timestamp plus the tolerance, so twice the tolerance.
 */
export const WEBHOOK_REPLAY_PROTECTION_MS = 2 * WEBHOOK_TOLERANCE_MS;
