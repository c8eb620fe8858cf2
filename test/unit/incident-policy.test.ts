import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isQuiet, parseDurationSeconds, quietUntil, type QuietHours } from '../../src/incidents/policy.js';
import { loadConfig } from '../../src/config.js';
import { policyFor, workflowIdOfIncident } from '../../src/incidents/open.js';

describe('incident policy', () => {
  const nights: QuietHours = { timeZone: 'Europe/Berlin', start: '22:00', end: '07:00', days: [] };

  it('reads durations as seconds', () => {
    assert.equal(parseDurationSeconds('90'), 90);
    assert.equal(parseDurationSeconds('15m'), 900);
    assert.equal(parseDurationSeconds('4h'), 14400);
    assert.equal(parseDurationSeconds('1d'), 86400);
    assert.equal(parseDurationSeconds('soon'), undefined);
  });

  it('holds notices in quiet hours that span midnight, in the configured time zone', () => {
    // 21:30 UTC on a winter day is 22:30 in Berlin: quiet until 07:00 Berlin = 06:00 UTC
    const at = Date.parse('2026-01-14T21:30:00Z');
    assert.equal(isQuiet(at, nights), true);
    assert.equal(new Date(quietUntil(at, nights)!).toISOString(), '2026-01-15T06:00:00.000Z');
    assert.equal(isQuiet(Date.parse('2026-01-14T12:00:00Z'), nights), false);
    assert.equal(quietUntil(Date.parse('2026-01-14T12:00:00Z'), nights), undefined);
  });

  it('holds whole quiet weekdays', () => {
    const weekend: QuietHours = { timeZone: 'UTC', days: [0, 6] };
    const saturday = Date.parse('2026-11-21T10:00:00Z');
    assert.equal(new Date(quietUntil(saturday, weekend)!).toISOString(), '2026-11-23T00:00:00.000Z');
  });

  it('builds each severity policy from configuration, with defaults and overrides', () => {
    const config = loadConfig({
      OPSFLOW_INCIDENT_ACK_P2: '30m',
      OPSFLOW_INCIDENT_POLICY: '{"P1": {"repeats": 5, "resolveWithin": "4h"}}',
      OPSFLOW_QUIET_HOURS: '22:00-07:00',
    });
    assert.deepEqual(policyFor(config, 'P1'), {
      ackTimeoutSeconds: 900,
      repeats: 5,
      resolveWithinSeconds: 14400,
      quiet: false,
      levels: 3,
      quietHours: { timeZone: 'UTC', start: '22:00', end: '07:00', days: [] },
    });
    assert.equal(policyFor(config, 'P2').ackTimeoutSeconds, 1800);
    assert.equal(policyFor(config, 'P4').ackTimeoutSeconds, 86400);
    assert.equal(policyFor(config, 'P4').quiet, true);
    assert.throws(() => loadConfig({ OPSFLOW_INCIDENT_POLICY: '{"P9": {}}' }), /OPSFLOW_INCIDENT_POLICY/);
    assert.throws(() => loadConfig({ OPSFLOW_QUIET_HOURS: '22-7' }), /OPSFLOW_QUIET_HOURS/);
  });

  it('finds the workflow of an incident id', () => {
    assert.equal(workflowIdOfIncident('incident-db-down-20261122-091500123'), 'incident-db-down');
    assert.equal(workflowIdOfIncident('incident-20261122-091500-ab12cd'), 'incident-20261122-091500-ab12cd');
    assert.equal(workflowIdOfIncident('eu-incident-db-down-20261122-091500123'), 'eu-incident-db-down');
  });
});
