import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Opsflow's custom search attributes, registered on the dev server at start and required on any cluster
 * (see docs/production.md). Workflows set them so operators can filter runs in the Web UI.
 */
export const OpsKind = defineSearchAttributeKey('OpsKind', SearchAttributeType.KEYWORD);
export const Severity = defineSearchAttributeKey('Severity', SearchAttributeType.KEYWORD);
export const IncidentStatus = defineSearchAttributeKey('IncidentStatus', SearchAttributeType.KEYWORD);
export const Integration = defineSearchAttributeKey('Integration', SearchAttributeType.KEYWORD);
export const Health = defineSearchAttributeKey('Health', SearchAttributeType.KEYWORD);

export const CUSTOM_SEARCH_ATTRIBUTES = [OpsKind, Severity, IncidentStatus, Integration, Health] as const;

/** The values of `OpsKind`. */
export type OpsKindValue =
  'daily' | 'weekly' | 'monthly' | 'monitor' | 'incident' | 'backfill' | 'reconciliation' | 'token-refresh' | 'backup';
