import { activityInfo, Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { callsToPush } from '../../backfill/cost.js';
import { addErrorCounts, zeroCounters, type BackfillCounters, type ZohoEntity } from '../../backfill/entities.js';
import {
  countRecords,
  logAttempt,
  markFailed,
  markSyncedAndLog,
  missingDependency,
  selectPage,
  type LocalRecord,
  type RecordFilter,
} from '../../backfill/records.js';
import type { ZohoPushApi } from '../../integrations/zoho/push.js';
import type { Pool } from '../../db/pool.js';
import { ErrorClass, IntegrationError, toApplicationFailure } from '../../integrations/errors.js';

/** One page of a ZOHO push: the records after `afterId` that the filter selects, at most `limit` of them. */
export interface ZohoPageInput {
  /** The backfill's workflow id, written to `zoho_sync_logs.run_id`. */
  runId: string;
  entity: ZohoEntity;
  filter: RecordFilter;
  afterId: number;
  limit: number;
}

/** What a page did. `errors` counts every failed call (retried or not), for the adaptive batch size. */
export interface ZohoPageResult {
  afterId: number;
  /** No records after `afterId` are left for this entity. */
  done: boolean;
  counters: BackfillCounters;
  errorsByClass: Record<string, number>;
  calls: number;
  errors: number;
  elapsedMs: number;
  /** Set when ZOHO's daily quota ran out: the page stopped, resume after this many ms. */
  quotaResumeInMs?: number;
}

/** A dry-run page: what would be sent and what it would cost, without a call to ZOHO. */
export interface ZohoPlanResult {
  afterId: number;
  done: boolean;
  records: number;
  estimatedCalls: number;
  /** The first few references of the page, so an operator sees what would go out. */
  sample: string[];
}

type Progress = Omit<ZohoPageResult, 'done' | 'quotaResumeInMs'> & { startedAt: number };

/** Looks up before it creates, so a create that succeeded remotely but was never recorded is linked, not repeated. */
async function pushRecord(
  api: ZohoPushApi,
  entity: ZohoEntity,
  record: LocalRecord,
  progress: Progress,
): Promise<{ outcome: 'created' | 'updated' | 'linked'; zohoId: string }> {
  if (record.zoho_id) {
    try {
      progress.calls++;
      await api.update(entity, record.zoho_id, record);
      return { outcome: 'updated', zohoId: record.zoho_id };
    } catch (err) {
      // Deleted in ZOHO since it was linked: fall through to look-up and create.
      if (!(err instanceof IntegrationError && err.errorClass === ErrorClass.NotFound)) throw err;
    }
  }
  progress.calls++;
  const found = await api.findByReference(entity, record);
  if (found) return { outcome: 'linked', zohoId: found };
  progress.calls++;
  return { outcome: 'created', zohoId: await api.create(entity, record) };
}

const RECORD_LEVEL: readonly string[] = [ErrorClass.ValidationFailed, ErrorClass.NotFound];

/**
 * Backfill activities: counting and pricing work on the database (main queue), and pushing pages of records
 * to ZOHO (the `zoho` queue; the client's call budget paces their calls).
 *
 * @example
 * const activities = createBackfillActivities({ pool, zohoPush: zohoPushApi(zoho) });
 */
export function createBackfillActivities({ pool, zohoPush }: { pool: Pool; zohoPush?: ZohoPushApi }) {
  return {
    /** Records a ZOHO backfill would select, per entity, and the calls pushing them would cost. */
    async countZohoBackfill(input: {
      entities: ZohoEntity[];
      filter: RecordFilter;
    }): Promise<{ total: number; byEntity: Record<string, number>; estimatedCalls: number }> {
      const byEntity: Record<string, number> = {};
      let total = 0;
      let estimatedCalls = 0;
      for (const entity of input.entities) {
        const { total: n, linked } = await countRecords(pool, entity, input.filter);
        byEntity[entity] = n;
        total += n;
        estimatedCalls += linked * callsToPush({ hasZohoId: true }) + (n - linked) * callsToPush({ hasZohoId: false });
      }
      return { total, byEntity, estimatedCalls };
    },

    /** A dry-run page: selects like a real page and prices it, sending nothing. */
    async planZohoPage(input: Omit<ZohoPageInput, 'runId'>): Promise<ZohoPlanResult> {
      const rows = await selectPage(pool, input.entity, input.filter, input.afterId, input.limit);
      return {
        afterId: rows.at(-1)?.id ?? input.afterId,
        done: rows.length < input.limit,
        records: rows.length,
        estimatedCalls: rows.reduce((sum, r) => sum + callsToPush({ hasZohoId: Boolean(r.zoho_id) }), 0),
        sample: rows.slice(0, 5).map((r) => r.reference),
      };
    },

    /**
     * Pushes one page of records to ZOHO, one record at a time, heartbeating after each so a retry (after a
     * 429, a 5xx or a killed worker) resumes after the last record done. Every attempt goes to
     * `zoho_sync_logs`. Record-level permanent failures (validation, not found) are written on the record and
     * counted; transient ones fail the activity so its retry policy (and the vendor's Retry-After, as
     * `nextRetryDelay`) decides when to go on; an exhausted daily quota ends the page early with the wait.
     */
    async syncZohoPage(input: ZohoPageInput): Promise<ZohoPageResult> {
      if (!zohoPush) throw ApplicationFailure.nonRetryable('This worker has no ZOHO client', 'ConfigurationError');
      const ctx = Context.current();
      const resumed = activityInfo().heartbeatDetails as Progress | undefined;
      const progress: Progress = resumed ?? {
        afterId: input.afterId,
        counters: zeroCounters(),
        errorsByClass: {},
        calls: 0,
        errors: 0,
        elapsedMs: 0,
        startedAt: Date.now(),
      };
      const result = (extra: { done: boolean; quotaResumeInMs?: number }): ZohoPageResult => {
        const { startedAt, ...rest } = progress;
        return { ...rest, ...extra, elapsedMs: Date.now() - startedAt };
      };
      const fail = (errorClass: string) => {
        progress.errors++;
        progress.errorsByClass = addErrorCounts(progress.errorsByClass, { [errorClass]: 1 });
      };

      const remaining = input.limit - progress.counters.processed;
      const rows = remaining > 0 ? await selectPage(pool, input.entity, input.filter, progress.afterId, remaining) : [];
      for (const record of rows) {
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
        const started = performance.now();
        const attempt = { entity: input.entity, recordId: record.id, runId: input.runId };
        const dependency = missingDependency(input.entity, record);
        try {
          if (dependency) {
            throw new IntegrationError({
              integration: 'zoho',
              errorClass: ErrorClass.ValidationFailed,
              message: `${record.reference}: ${dependency}`,
            });
          }
          const { outcome, zohoId } = await pushRecord(zohoPush, input.entity, record, progress);
          await markSyncedAndLog(pool, { ...attempt, outcome, durationMs: performance.now() - started }, zohoId);
          progress.counters.succeeded++;
        } catch (err) {
          const errorClass = err instanceof IntegrationError ? err.errorClass : ErrorClass.NetworkError;
          const message = (err as Error).message;
          await logAttempt(pool, {
            ...attempt,
            outcome: 'failed',
            errorClass,
            message,
            durationMs: performance.now() - started,
          });
          fail(errorClass);
          if (err instanceof IntegrationError && err.errorClass === ErrorClass.QuotaExhausted) {
            const resumeAt = err.resumeAt ? Date.parse(err.resumeAt) : Date.now() + 3_600_000;
            return result({ done: false, quotaResumeInMs: Math.max(1_000, resumeAt - Date.now()) });
          }
          if (!RECORD_LEVEL.includes(errorClass)) {
            // Transient (or credentials): let the retry policy decide; the heartbeat keeps what is done.
            ctx.heartbeat(progress);
            throw toApplicationFailure(err);
          }
          await markFailed(pool, input.entity, record.id, errorClass, message);
          progress.counters.failed++;
        }
        progress.counters.processed++;
        progress.afterId = record.id;
        ctx.heartbeat(progress);
      }
      return result({ done: rows.length < remaining });
    },
  };
}

/** The slice of the HighLevel client a contact pull needs. */
export interface HighLevelContactSearch {
  searchContacts(
    installationId: number,
    q: { locationId: string; pageLimit?: number; searchAfter?: [number, string] },
  ): Promise<{ contacts: Array<Record<string, unknown> & { id?: string; searchAfter?: [number, string] }> }>;
}

/** One location to pull contacts from: its installation (whose token the call uses) and location id. */
export interface PullLocation {
  installationId: number;
  locationId: string;
  /** Contacts already stored for it, to price a dry run. */
  knownContacts: number;
}

const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);

/**
 * HighLevel contact pull activities: the installed locations (main queue) and one search page per activity
 * (the `highlevel` queue), upserted into `hl_contacts` so a repeated page writes nothing twice.
 *
 * @example
 * const activities = createHighLevelBackfillActivities({ pool, highlevel });
 */
export function createHighLevelBackfillActivities({
  pool,
  highlevel,
}: {
  pool: Pool;
  highlevel?: HighLevelContactSearch;
}) {
  return {
    /** Active location installations, with the contacts already pulled for each. */
    async listPullLocations(): Promise<PullLocation[]> {
      const { rows } = await pool.query<PullLocation>(
        `SELECT i.id AS "installationId", i.location_id AS "locationId",
                (SELECT count(*)::int FROM hl_contacts c WHERE c.location_id = i.location_id) AS "knownContacts"
           FROM hl_installations i
          WHERE i.status = 'active' AND i.user_type = 'Location' AND i.location_id IS NOT NULL
          ORDER BY i.id`,
      );
      return rows;
    },

    /** One page of a location's contacts, after `searchAfter`, upserted into `hl_contacts`. */
    async pullHighLevelContactsPage(input: {
      location: PullLocation;
      searchAfter?: [number, string];
      pageLimit: number;
    }): Promise<{ upserted: number; searchAfter?: [number, string]; done: boolean; elapsedMs: number }> {
      if (!highlevel)
        throw ApplicationFailure.nonRetryable('This worker has no HighLevel client', 'ConfigurationError');
      const started = Date.now();
      let contacts;
      try {
        ({ contacts } = await highlevel.searchContacts(input.location.installationId, {
          locationId: input.location.locationId,
          pageLimit: input.pageLimit,
          searchAfter: input.searchAfter,
        }));
      } catch (err) {
        throw toApplicationFailure(err);
      }
      const rows = contacts.filter((c) => typeof c.id === 'string');
      if (rows.length > 0) {
        await pool.query(
          `INSERT INTO hl_contacts (location_id, contact_id, email, phone, first_name, last_name, tags, raw, remote_updated_at)
           SELECT $1, r->>'id', r->>'email', r->>'phone', r->>'firstName', r->>'lastName',
                  COALESCE(ARRAY(SELECT jsonb_array_elements_text(COALESCE(r->'tags', '[]'))), '{}'), r,
                  NULLIF(COALESCE(r->>'dateUpdated', r->>'dateAdded'), '')::timestamptz
             FROM jsonb_array_elements($2::jsonb) AS r
           ON CONFLICT (location_id, contact_id) DO UPDATE SET email = EXCLUDED.email, phone = EXCLUDED.phone,
             first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, tags = EXCLUDED.tags, raw = EXCLUDED.raw,
             remote_updated_at = EXCLUDED.remote_updated_at, pulled_at = now()`,
          [input.location.locationId, JSON.stringify(rows.map((c) => ({ ...c, email: text(c.email) })))],
        );
      }
      return {
        upserted: rows.length,
        searchAfter: contacts.at(-1)?.searchAfter ?? input.searchAfter,
        done: contacts.length < input.pageLimit,
        elapsedMs: Date.now() - started,
      };
    },
  };
}
