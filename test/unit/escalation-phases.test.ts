import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { policyFor } from '../../src/incidents/open.js';
import type { IncidentState } from '../../src/incidents/types.js';
import { initialState, phaseOf, snoozedUntil } from '../../src/workflows/incidents/state.js';

const at = Date.parse('2026-12-03T10:00:00Z');
const config = loadConfig({});

function incident(change: Partial<IncidentState> = {}): IncidentState {
  const trigger = { title: 'ZOHO down', severity: 'P1' as const, source: 'monitor', dedupKey: 'zoho-down' };
  const s = initialState(
    { id: 'inc-1', trigger, policy: policyFor(config, 'P1'), incidentUrl: 'http://ui/inc-1' },
    'incident-zoho-down',
    at,
  );
  return { ...s, ...change };
}

describe('escalation phases', () => {
  it('notifies a new incident first', () => {
    assert.equal(phaseOf(incident(), false), 'notify-level');
  });

  it('waits for the acknowledgement or the deadline while a notice is out', () => {
    assert.equal(phaseOf(incident({ nextDeadline: '2026-12-03T10:05:00.000Z' }), false), 'await-ack-or-deadline');
  });

  it('notifies at once when an operator asks to escalate, even with a deadline ahead or every level used up', () => {
    assert.equal(phaseOf(incident({ nextDeadline: '2026-12-03T10:05:00.000Z' }), true), 'notify-level');
    assert.equal(phaseOf(incident({ exhausted: true }), true), 'notify-level');
  });

  it('waits for a person once every level and its repeats were notified', () => {
    assert.equal(
      phaseOf(incident({ exhausted: true, nextDeadline: '2026-12-03T10:05:00.000Z' }), false),
      'await-person',
    );
  });

  it('waits for the resolution once acknowledged, whatever else is pending', () => {
    const acknowledged = incident({ status: 'acknowledged', exhausted: true, acknowledgedAt: '2026-12-03T10:01:00Z' });
    assert.equal(phaseOf(acknowledged, false), 'await-resolution');
    assert.equal(phaseOf(acknowledged, true), 'await-resolution');
  });

  it('sees a snooze only until it ends', () => {
    const snoozed = incident({ snoozedUntil: '2026-12-03T10:30:00.000Z' });
    assert.equal(snoozedUntil(snoozed, at), Date.parse('2026-12-03T10:30:00.000Z'));
    assert.equal(snoozedUntil(snoozed, Date.parse('2026-12-03T10:30:00.000Z')), undefined);
    assert.equal(snoozedUntil(incident(), at), undefined);
  });
});
