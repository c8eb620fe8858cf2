import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type {
  ActorArgs,
  IncidentState,
  ReassignArgs,
  ResolveArgs,
  SnoozeArgs,
  TriggerArgs,
  TriggerResult,
} from './types.js';

/**
 * The incident's updates and query. Their names are what an operator types in the Web UI (docs/incidents.md).
 * Every update answers the incident's new state; an invalid transition is rejected by its validator.
 */
export const acknowledgeUpdate = defineUpdate<IncidentState, [ActorArgs]>('acknowledge');
export const resolveUpdate = defineUpdate<IncidentState, [ResolveArgs]>('resolve');
export const escalateUpdate = defineUpdate<IncidentState, [ActorArgs]>('escalate');
export const reassignUpdate = defineUpdate<IncidentState, [ReassignArgs]>('reassign');
export const snoozeUpdate = defineUpdate<IncidentState, [SnoozeArgs]>('snooze');
export const addNoteUpdate = defineUpdate<IncidentState, [ActorArgs]>('addNote');
/** A new trigger with the same dedup key: merged (count, last seen). Sent when an open finds the incident running. */
export const triggerUpdate = defineUpdate<TriggerResult, [TriggerArgs]>('trigger');
export const incidentStatusQuery = defineQuery<IncidentState>('status');

/** `type` of the failure an update gets when the incident's state does not allow it (the API answers 409). */
export const INVALID_TRANSITION = 'InvalidTransition';
