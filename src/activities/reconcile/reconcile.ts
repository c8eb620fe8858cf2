import type { ZohoEntity } from '../../backfill/entities.js';
import type { ZohoPushApi } from '../../integrations/zoho/push.js';
import type { Pool } from '../../db/pool.js';
import { toApplicationFailure } from '../../integrations/errors.js';

/** Per entity: counts, amounts and mismatches by kind. */
export interface EntitySummary {
  local: number;
  remote: number;
  matched: number;
  missingRemote: number;
  missingLocal: number;
  different: number;
  /** Local records never synced (pending or failed, no ZOHO id) and not in ZOHO: the backfill's work, not drift. */
  unsynced: number;
  localAmount?: string;
  remoteAmount?: string;
}

/**
 * The local side of each comparison, as SQL over the entity's table `t`. Same keys and formats as
 * `remoteFields` in src/integrations/zoho/push.ts; the amount column feeds the totals.
 */
const LOCAL_FIELDS: Record<ZohoEntity, { fields: string; amount?: string }> = {
  customers: { fields: `jsonb_build_object('display_name', t.display_name, 'email', t.email)` },
  subscriptions: { fields: `jsonb_build_object('amount', to_char(t.amount, 'FM999999999990.00'))`, amount: 'amount' },
  invoices: {
    fields: `jsonb_build_object('total', to_char(t.total, 'FM999999999990.00'), 'invoice_date', to_char(t.invoice_date, 'YYYY-MM-DD'))`,
    amount: 'total',
  },
  payments: {
    fields: `jsonb_build_object('amount', to_char(t.amount, 'FM999999999990.00'), 'payment_date', to_char(t.payment_date, 'YYYY-MM-DD'))`,
    amount: 'amount',
  },
};

/**
 * Reconciliation activities: ZOHO is listed page by page into `reconciliation_remote` (one page in memory at a
 * time), then PostgreSQL compares the two sides as sets and stores the mismatch report.
 *
 * @example
 * const activities = createReconcileActivities({ pool, zohoPush });
 */
export function createReconcileActivities({ pool, zohoPush }: { pool: Pool; zohoPush?: ZohoPushApi }) {
  return {
    /** Records the run (once, whatever the retries). */
    async openReconciliation(input: { id: string; entities: ZohoEntity[]; repair: string }): Promise<void> {
      await pool.query(
        `INSERT INTO reconciliations (id, integration, entities, repair) VALUES ($1, 'zoho', $2, $3) ON CONFLICT (id) DO NOTHING`,
        [input.id, input.entities, input.repair],
      );
    },

    /** One page of ZOHO records of `entity` into the staging table; says whether more pages follow. */
    async stageZohoPage(input: {
      id: string;
      entity: ZohoEntity;
      page: number;
      perPage: number;
    }): Promise<{ hasMore: boolean; count: number }> {
      if (!zohoPush) throw new Error('This worker has no ZOHO client');
      let page;
      try {
        page = await zohoPush.listPage(input.entity, input.page, input.perPage);
      } catch (err) {
        throw toApplicationFailure(err);
      }
      if (page.records.length > 0) {
        await pool.query(
          `INSERT INTO reconciliation_remote (reconciliation_id, entity, zoho_id, reference, fields)
           SELECT $1, $2, r->>'zohoId', r->>'reference', r->'fields' FROM jsonb_array_elements($3::jsonb) r
           ON CONFLICT (reconciliation_id, entity, zoho_id) DO UPDATE SET reference = EXCLUDED.reference, fields = EXCLUDED.fields`,
          [input.id, input.entity, JSON.stringify(page.records)],
        );
      }
      return { hasMore: page.hasMore, count: page.records.length };
    },

    /**
     * Compares local and staged remote records of one entity by reference (a full outer join in SQL), stores each
     * mismatch with the fields that differ, and answers the counts and amount totals. Idempotent: a retry replaces
     * the entity's part of the report.
     *
     * A local record absent from ZOHO is missing remotely only when it claims to be there (synced, or holding a
     * ZOHO id); one never synced (pending or failed) is counted as `unsynced`: the backfill's work list, not
     * drift between the two sides, and not something a repair should push behind the backfill's back.
     */
    async compareEntity(input: { id: string; entity: ZohoEntity }): Promise<EntitySummary> {
      const { fields, amount } = LOCAL_FIELDS[input.entity];
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`DELETE FROM reconciliation_mismatches WHERE reconciliation_id = $1 AND entity = $2`, [
          input.id,
          input.entity,
        ]);
        await client.query(
          `WITH l AS (SELECT t.id, t.reference, ${fields} AS fields,
                             (t.zoho_id IS NULL AND t.sync_state <> 'synced') AS unsynced FROM ${input.entity} t),
                r AS (SELECT zoho_id, reference, fields FROM reconciliation_remote WHERE reconciliation_id = $1 AND entity = $2),
                j AS (SELECT l.id, COALESCE(l.reference, r.reference, 'zoho:' || r.zoho_id) AS reference, r.zoho_id,
                             l.fields AS lf, r.fields AS rf, l.unsynced
                        FROM l FULL JOIN r ON r.reference = l.reference)
           INSERT INTO reconciliation_mismatches (reconciliation_id, entity, kind, reference, record_id, zoho_id, fields)
           SELECT $1, $2,
                  CASE WHEN rf IS NULL THEN 'missing-remote' WHEN lf IS NULL THEN 'missing-local' ELSE 'different' END,
                  reference, id, zoho_id,
                  CASE WHEN rf IS NULL THEN '{}'::jsonb WHEN lf IS NULL THEN jsonb_build_object('remote', rf) ELSE
                    (SELECT jsonb_object_agg(k, jsonb_build_object('local', lf->k, 'remote', rf->k))
                       FROM jsonb_object_keys(lf) k WHERE lf->k IS DISTINCT FROM rf->k) END
             FROM j WHERE (rf IS NULL AND NOT unsynced) OR lf IS NULL OR lf <> rf
           ON CONFLICT DO NOTHING`,
          [input.id, input.entity],
        );
        const { rows } = await client.query<EntitySummary>(
          `SELECT (SELECT count(*)::int FROM ${input.entity}) AS local,
                  (SELECT count(*)::int FROM reconciliation_remote WHERE reconciliation_id = $1 AND entity = $2) AS remote,
                  count(*) FILTER (WHERE kind = 'missing-remote')::int AS "missingRemote",
                  count(*) FILTER (WHERE kind = 'missing-local')::int AS "missingLocal",
                  count(*) FILTER (WHERE kind = 'different')::int AS different,
                  (SELECT count(*)::int FROM ${input.entity} t WHERE t.zoho_id IS NULL AND t.sync_state <> 'synced'
                      AND NOT EXISTS (SELECT 1 FROM reconciliation_remote r WHERE r.reconciliation_id = $1
                                         AND r.entity = $2 AND r.reference = t.reference)) AS unsynced,
                  ${amount ? `(SELECT to_char(COALESCE(sum(${amount}), 0), 'FM999999999990.00') FROM ${input.entity})` : 'NULL'} AS "localAmount",
                  ${amount ? `(SELECT to_char(COALESCE(sum((fields->>'${amount === 'total' ? 'total' : 'amount'}')::numeric), 0), 'FM999999999990.00') FROM reconciliation_remote WHERE reconciliation_id = $1 AND entity = $2)` : 'NULL'} AS "remoteAmount"
             FROM reconciliation_mismatches WHERE reconciliation_id = $1 AND entity = $2`,
          [input.id, input.entity],
        );
        await client.query(`DELETE FROM reconciliation_remote WHERE reconciliation_id = $1 AND entity = $2`, [
          input.id,
          input.entity,
        ]);
        await client.query('COMMIT');
        const s = rows[0]!;
        const summary: EntitySummary = { ...s, matched: s.local - s.missingRemote - s.different - s.unsynced };
        if (!amount) {
          delete summary.localAmount;
          delete summary.remoteAmount;
        }
        return summary;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },

    /**
     * Repairs customers missing locally by importing them from the report (ZOHO holds them, with our reference):
     * a local row, synced, linked to its ZOHO id. Other entities missing locally stay in the report for an
     * operator, since their local links (customer, invoice) cannot be inferred safely.
     */
    async importMissingCustomers(input: { id: string }): Promise<number> {
      const { rowCount } = await pool.query(
        `INSERT INTO customers (reference, display_name, email, zoho_id, sync_state, synced_at)
         SELECT reference, fields->'remote'->>'display_name', fields->'remote'->>'email', zoho_id, 'synced', now()
           FROM reconciliation_mismatches
          WHERE reconciliation_id = $1 AND entity = 'customers' AND kind = 'missing-local'
            AND reference NOT LIKE 'zoho:%' AND fields->'remote'->>'email' IS NOT NULL
         ON CONFLICT DO NOTHING`,
        [input.id],
      );
      return rowCount ?? 0;
    },

    /** Stores the run's state: status, summary, decision and the repair's workflow id. */
    async saveReconciliation(input: {
      id: string;
      status: string;
      summary: Record<string, EntitySummary>;
      decision?: string;
      decidedBy?: string;
      repairWorkflowId?: string;
      finished?: boolean;
    }): Promise<void> {
      await pool.query(
        `UPDATE reconciliations SET status = $2, summary = $3, decision = COALESCE($4, decision),
           decided_by = COALESCE($5, decided_by), repair_workflow_id = COALESCE($6, repair_workflow_id),
           finished_at = CASE WHEN $7 THEN now() ELSE finished_at END WHERE id = $1`,
        [
          input.id,
          input.status,
          JSON.stringify(input.summary),
          input.decision ?? null,
          input.decidedBy ?? null,
          input.repairWorkflowId ?? null,
          input.finished ?? false,
        ],
      );
    },
  };
}
