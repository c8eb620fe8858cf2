import { upsertSearchAttributes } from '@temporalio/workflow';
import { Integration, OpsKind, type OpsKindValue } from '../temporal/search-attributes.js';

/**
 * Tags a run that works on one vendor with its kind and that vendor, so the Web UI's saved views find it
 * (`OpsKind="backfill" AND Integration="zoho"`).
 *
 * @example
 * tagVendorRun('reconciliation', input.integration);
 */
export function tagVendorRun(kind: OpsKindValue, integration: 'highlevel' | 'zoho'): void {
  upsertSearchAttributes([
    { key: OpsKind, value: kind },
    { key: Integration, value: integration },
  ]);
}
