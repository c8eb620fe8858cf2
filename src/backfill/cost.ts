/**
 * The API calls a push costs, used by dry runs to price a backfill and by real runs to plan pacing. The rule
 * mirrors what the sync activity does for each record (src/activities/backfill.ts):
 * - a record that already has a ZOHO id is updated in place: one call;
 * - a record without one is first looked up by its reference (never a record twice), then created: two calls.
 * Retries after 429 / 5xx add calls the estimate cannot know in advance.
 */
export function callsToPush(record: { hasZohoId: boolean }): number {
  return record.hasZohoId ? 1 : 2;
}

/** Calls to pull `contacts` HighLevel contacts from one location in pages of `pageSize` (the last page is empty). */
export function callsToPullContacts(contacts: number, pageSize: number): number {
  return Math.floor(contacts / pageSize) + 1;
}
