import type { PeriodFigures, WeeklyFigures, WeeklySnapshot } from './figures.js';
import { apiSection, beside, compare, keyed, mib, orDash, rate, syncSection, union } from './section-helpers.js';
import type { ReportSection, ReportTable, Verdict } from './types.js';
import { overallUptime, type UptimeStats } from './uptime.js';
import type { CallLatency, VendorLatency } from './latency.js';

type Weekly = WeeklyFigures & {
  abandoned?: Record<string, number>;
  security?: {
    failedLogins: Array<{ source: string; count: number }>;
    tokenAbuse: Array<{ installationId: number; failedRefreshes: number }>;
  };
};

const mibOrNull = (bytes: number | null | undefined) => (typeof bytes === 'number' ? Number(mib(bytes)) : null);

const SERIES: [string, string] = ['previous week', 'this week'];
const WEEKS = ['', 'previous week', 'this week', 'change'];

/** A table of labelled rows: the previous week's figure beside this week's, and the change. */
const weekTable = (name: string, rows: Array<Array<string | number>>): ReportTable => ({ name, columns: WEEKS, rows });

function byKey(now: Record<string, number>, before: Record<string, number>) {
  return {
    columns: WEEKS,
    rows: compare(
      union(now, before),
      (l) => now[l] ?? 0,
      (l) => before[l] ?? 0,
    ),
  };
}

function summary(health: Verdict, w: Weekly, a: PeriodFigures, b: PeriodFigures): ReportSection {
  const prev = w.previousSnapshot;
  const attention = w.attention;
  return {
    title: 'Executive summary',
    text:
      `Overall health: ${health}. Uptime ${rate(overallUptime(a.uptime))} (previous week ${rate(overallUptime(b.uptime))}). ` +
      (attention.length === 0 ? 'Nothing needs attention.' : `${attention.length} item(s) need attention:`),
    links: attention.map((i) => ({ text: i.text, href: i.link })),
    table: weekTable('summary', [
      beside('uptime %', overallUptime(b.uptime), overallUptime(a.uptime)),
      beside('incidents opened', b.incidents.opened, a.incidents.opened),
      beside('incidents resolved', b.incidents.resolved, a.incidents.resolved),
      beside('MTTA (minutes)', b.incidents.mttaMinutes, a.incidents.mttaMinutes),
      beside('MTTR (minutes)', b.incidents.mttrMinutes, a.incidents.mttrMinutes),
      beside('alerts fired', b.alerts.fired, a.alerts.fired),
      beside('tokens that will lapse within 24 h', prev?.installations.tokensNotRefreshed24h, w.tokensExpiring24h),
      beside('items needing attention', null, attention.length),
    ]),
  };
}

function uptime(a: PeriodFigures, b: PeriodFigures): ReportSection {
  const names = [...new Set([...a.uptime, ...b.uptime].map((u) => u.integration))].sort();
  const of = (list: PeriodFigures['uptime'], name: string) => list.find((u) => u.integration === name);
  return {
    title: 'Uptime and latency per integration',
    text:
      'Uptime from the monitor checks: a check that found the integration down counts as down time until the next ' +
      'check. Latency is the probe round trip of the checks that got an answer.',
    chart: {
      series: SERIES,
      unit: '%',
      valueAxis: 'uptime',
      labelAxis: 'integration',
      bars: names.map((n) => ({
        label: n,
        values: [of(b.uptime, n)?.uptimePct ?? 0, of(a.uptime, n)?.uptimePct ?? 0] as [number, number],
      })),
    },
    table: weekOnWeek<UptimeStats>(
      'uptime',
      'integration',
      names,
      (n) => of(a.uptime, n),
      (n) => of(b.uptime, n),
      [
        compared('uptime %', (u) => orDash(u?.uptimePct)),
        thisWeek('down minutes', (u) => u?.downMinutes ?? 0),
        thisWeek('checks', (u) => u?.checks ?? 0),
        ...PERCENTILES,
      ],
    ),
  };
}

/**
 * A column of a week-on-week table: its header and its cell from a row's figures. A compared column is two: the
 * previous week's cell (`<header> previous week`), then this week's.
 */
interface WeekColumn<F> {
  header: string;
  cell: (figures: F | undefined) => string | number;
  compared: boolean;
}

const compared = <F>(header: string, cell: WeekColumn<F>['cell']): WeekColumn<F> => ({ header, cell, compared: true });
const thisWeek = <F>(header: string, cell: WeekColumn<F>['cell']): WeekColumn<F> => ({ header, cell, compared: false });

/** The latency percentiles, each this week beside the previous one. */
const PERCENTILES: Array<WeekColumn<{ p50Ms: number | null; p95Ms: number | null }>> = [
  compared('p50 ms', (x) => orDash(x?.p50Ms)),
  compared('p95 ms', (x) => orDash(x?.p95Ms)),
];

/** A table with a row per key (its first column, `label`) and the columns' cells from each week's figures. */
function weekOnWeek<F>(
  name: string,
  label: string,
  keys: string[],
  now: (key: string) => F | undefined,
  before: (key: string) => F | undefined,
  columns: Array<WeekColumn<F>>,
): ReportTable {
  return {
    name,
    columns: [label, ...columns.flatMap((c) => (c.compared ? [`${c.header} previous week`, c.header] : [c.header]))],
    rows: keys.map((k) => {
      const [x, p] = [now(k), before(k)];
      return [k, ...columns.flatMap((c) => (c.compared ? [c.cell(p), c.cell(x)] : [c.cell(x)]))];
    }),
  };
}

const NO_LATENCY: VendorLatency = { integrations: [], endpoints: [] };
const INTEGRATIONS = ['highlevel', 'zoho'];
/** Figures collected before calls were timed (a run in flight across the upgrade) carry no `latency`: no calls. */
const latencyOf = (p: PeriodFigures): VendorLatency => (p as Partial<PeriodFigures>).latency ?? NO_LATENCY;

/** One latency table: a row per key (integration or endpoint group), this week beside the previous one. */
function latencyTable(
  name: string,
  label: string,
  keys: string[],
  now: (key: string) => CallLatency | undefined,
  before: (key: string) => CallLatency | undefined,
): ReportTable {
  return weekOnWeek(name, label, keys, now, before, [
    compared('calls', (x) => x?.calls ?? 0),
    thisWeek('failed', (x) => x?.failed ?? 0),
    ...PERCENTILES,
    thisWeek('top error', (x) => x?.topError ?? 'none'),
    thisWeek('failed with it', (x) => x?.topErrorCount ?? 0),
  ]);
}

function latency(a: PeriodFigures, b: PeriodFigures): ReportSection[] {
  const now = latencyOf(a);
  const before = latencyOf(b);
  const names = [...new Set([...INTEGRATIONS, ...now.integrations.map((i) => i.integration)])].sort();
  const integration = (l: VendorLatency) => (n: string) => l.integrations.find((i) => i.integration === n);
  const group = (l: VendorLatency) => (e: string) => l.endpoints.find((x) => x.endpoint === e);
  // Slowest first this week; groups called only last week follow, so nothing that went quiet disappears.
  const groups = [
    ...now.endpoints.map((e) => e.endpoint!),
    ...before.endpoints.map((e) => e.endpoint!).filter((e) => !group(now)(e)),
  ];
  const slowest = now.endpoints
    .slice(0, 3)
    .map(
      (e) => `${e.endpoint} p95 ${e.p95Ms} ms, top error ${e.topError ? `${e.topError} (${e.topErrorCount})` : 'none'}`,
    );
  return [
    {
      title: 'Vendor call latency per integration',
      text:
        'Every HTTP call to HighLevel and ZOHO, timed by the client from request to answer (failed calls included). ' +
        `Slowest endpoint groups this week: ${slowest.join('; ') || 'none'}.`,
      chart: {
        series: SERIES,
        unit: 'ms',
        valueAxis: 'p95 latency',
        labelAxis: 'integration',
        bars: names.map((n) => ({
          label: n,
          values: [integration(before)(n)?.p95Ms ?? 0, integration(now)(n)?.p95Ms ?? 0] as [number, number],
        })),
      },
      table: latencyTable('vendor-latency', 'integration', names, integration(now), integration(before)),
    },
    {
      title: 'Vendor call latency per endpoint group, slowest first',
      text: groups.length === 0 ? 'No vendor calls this week or the previous one.' : undefined,
      table: latencyTable('endpoints', 'endpoint group', groups, group(now), group(before)),
    },
  ];
}

function installations(w: Weekly, a: PeriodFigures, b: PeriodFigures): ReportSection[] {
  const now = w.snapshot.installations;
  const before = w.previousSnapshot?.installations;
  return [
    {
      title: 'Installations',
      text: `Installations by status now: ${
        keyed(w.installationsByStatus)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'none'
      }.`,
      table: weekTable('installations', [
        beside('new installations', b.installs.newTotal, a.installs.newTotal),
        beside('uninstalls', b.installs.uninstalls, a.installs.uninstalls),
        beside('active installations', before?.active, now.active),
        beside('average hours since last token refresh', before?.avgHoursSinceRefresh, now.avgHoursSinceRefresh),
        beside('installations whose refresh failed', b.installs.refreshFailed.length, a.installs.refreshFailed.length),
      ]),
    },
    {
      title: 'New installations per day',
      chart: {
        series: SERIES,
        unit: 'installs',
        valueAxis: 'new installations',
        labelAxis: 'day (previous week: the same weekday)',
        bars: a.installs.newByDay.map((d, i) => {
          const p = b.installs.newByDay[i];
          return { label: d.day, values: [p ? p.agency + p.location : 0, d.agency + d.location] as [number, number] };
        }),
      },
      table: {
        name: 'installs-per-day',
        columns: ['day', 'agency', 'location', 'same weekday previous week'],
        rows: a.installs.newByDay.map((d, i) => {
          const p = b.installs.newByDay[i];
          return [d.day, d.agency, d.location, p ? p.agency + p.location : 0];
        }),
      },
    },
    {
      title: 'Installations whose token refresh failed',
      text: a.installs.refreshFailed.length === 0 ? 'None this week.' : undefined,
      table: {
        name: 'refresh-failed',
        columns: ['installation', 'location', 'failed refreshes', 'last error'],
        rows: a.installs.refreshFailed.map((r) => [r.installationId, r.locationId ?? '—', r.failures, r.lastError]),
      },
    },
    {
      title: 'Tokens expiring within 24 h that will not be refreshed',
      text:
        `${now.tokensNotRefreshed24h} of the ${now.tokensExpiring24h} active token(s) expiring within 24 h will not ` +
        `be refreshed before they expire (previous week ${orDash(before?.tokensNotRefreshed24h)}); the hourly ` +
        'refresh renews every other one two hours ahead.',
      table: {
        name: 'tokens-not-refreshed',
        columns: ['installation', 'location', 'expires at', 'why it will not be refreshed'],
        rows: now.notRefreshed.map((t) => [t.installationId, t.locationId ?? '—', t.expiresAt, t.reason]),
      },
    },
  ];
}

function incidents(w: Weekly, a: PeriodFigures, b: PeriodFigures): ReportSection[] {
  const severities = union(a.incidents.openedBySeverity, b.incidents.openedBySeverity);
  const resolution = (p: PeriodFigures) =>
    `${rate(p.alerts.resolutionRatePct)} (${p.alerts.resolvedFirings}/${p.alerts.fired})`;
  return [
    {
      title: 'Incidents',
      table: weekTable('incidents', [
        beside('opened', b.incidents.opened, a.incidents.opened),
        beside('acknowledged', b.incidents.acknowledged, a.incidents.acknowledged),
        beside('resolved', b.incidents.resolved, a.incidents.resolved),
        beside('MTTA (minutes)', b.incidents.mttaMinutes, a.incidents.mttaMinutes),
        beside('MTTR (minutes)', b.incidents.mttrMinutes, a.incidents.mttrMinutes),
        ...severities.map((s) =>
          beside(`opened ${s}`, b.incidents.openedBySeverity[s] ?? 0, a.incidents.openedBySeverity[s] ?? 0),
        ),
      ]),
    },
    {
      title: 'Resolved incidents and their postmortems',
      text: a.incidents.resolvedList.length === 0 ? 'None this week.' : undefined,
      table: {
        name: 'postmortems',
        columns: [
          'incident',
          'severity',
          'title',
          'opened',
          'resolved',
          'minutes to resolve',
          'root cause',
          'resolution',
          'prevention',
          'customer impact',
          'resolved by',
        ],
        rows: a.incidents.resolvedList.map((i) => [
          i.id,
          i.severity,
          i.title,
          i.openedAt,
          i.resolvedAt,
          i.minutesToResolve,
          i.rootCause,
          i.resolution,
          i.prevention,
          i.customerImpact,
          i.resolvedBy,
        ]),
      },
    },
    {
      title: 'Alerts fired',
      text: `Alert resolution rate (firings cleared within the week): ${resolution(a)}; previous week ${resolution(b)}.`,
      table: { name: 'alerts-fired', ...byKey(a.alertsFired, b.alertsFired) },
    },
    {
      title: 'Open alerts',
      text: w.snapshot.openAlerts.length === 0 ? 'None.' : `${w.snapshot.openAlerts.length} rule(s) still firing.`,
      table: {
        name: 'open-alerts',
        columns: ['rule', 'name', 'severity', 'firing since', 'hours firing', 'incident'],
        rows: w.snapshot.openAlerts.map((o) => [
          o.ruleId,
          o.name,
          o.severity,
          o.since,
          o.firingHours,
          o.incidentId ?? '—',
        ]),
      },
    },
  ];
}

function backups(now: WeeklySnapshot, before: WeeklySnapshot | null, a: PeriodFigures, b: PeriodFigures) {
  if (!now.backupsConfigured) return { title: 'Backups', text: 'No backups configured.' } satisfies ReportSection;
  const last = now.lastVerifiedBackup;
  const prev = before?.lastVerifiedBackup;
  const statuses = ['verified', 'unverified', 'failed', 'running'];
  return {
    title: 'Backups',
    text: last
      ? `Last verified backup: ${last.id}, ${mib(last.sizeBytes)} MiB, taken ${last.ageHours} h ago.`
      : 'No verified backup is kept.',
    table: weekTable('backups', [
      ['last verified backup', prev?.id ?? '—', last?.id ?? '—', ''],
      beside('its size (MiB)', mibOrNull(prev?.sizeBytes), mibOrNull(last?.sizeBytes)),
      beside('its age (hours)', prev?.ageHours, last?.ageHours),
      ...statuses.map((s) => beside(`backups ${s}`, b.backups.byStatus[s] ?? 0, a.backups.byStatus[s] ?? 0)),
      beside('restore tests passed', b.backups.restoreTestsPassed, a.backups.restoreTestsPassed),
    ]),
  } satisfies ReportSection;
}

function capacity(w: Weekly): ReportSection {
  const { capacity: now } = w.snapshot;
  const g = w.growth;
  const before = w.previousSnapshot?.capacity;
  const prev = (t: string) => before?.tables.find((x) => x.table === t);
  const largest = [...now.tables].sort((x, y) => y.bytes - x.bytes).slice(0, 10);
  const rateText =
    g.bytesPerDay === null
      ? 'no earlier snapshot to measure growth against'
      : `${mib(g.bytesPerDay)} MiB a day since ${g.since}`;
  const days =
    g.bytesPerDay === null
      ? 'days until it unknown until a second weekly report'
      : g.daysToThreshold === null
        ? 'not growing'
        : `${g.daysToThreshold} days at this rate`;
  return {
    title: 'Capacity',
    text:
      `Database ${mib(now.databaseBytes)} MiB (previous week ${mib(before?.databaseBytes)} MiB), ${rateText}; ` +
      `${mib(g.thresholdBytes)} MiB threshold: ${days}.`,
    chart: {
      series: SERIES,
      unit: 'MiB',
      valueAxis: 'size on disk',
      labelAxis: 'table (10 largest)',
      bars: largest.map((t) => ({
        label: t.table,
        values: [Number(mib(prev(t.table)?.bytes ?? 0)), Number(mib(t.bytes))] as [number, number],
      })),
    },
    table: {
      name: 'capacity',
      columns: ['table', 'rows previous week', 'rows', 'rows change', 'MiB previous week', 'MiB', 'MiB change'],
      rows: now.tables.map((t) => {
        const p = prev(t.table);
        const c = g.tables.find((x) => x.table === t.table);
        return [
          t.table,
          orDash(p?.rows),
          t.rows,
          orDash(c?.rowsChange),
          mib(p?.bytes),
          mib(t.bytes),
          c?.bytesChange === null || c?.bytesChange === undefined ? '—' : mib(c.bytesChange),
        ];
      }),
    },
  };
}

function security(w: Weekly): ReportSection | undefined {
  if (!w.security) return undefined;
  return {
    title: 'Security patterns flagged',
    text:
      w.security.failedLogins.length + w.security.tokenAbuse.length === 0
        ? 'None.'
        : 'Review these sources and installations.',
    table: {
      name: 'security-flags',
      columns: ['pattern', 'who', 'count'],
      rows: [
        ...w.security.failedLogins.map((l) => ['failed logins', l.source, l.count]),
        ...w.security.tokenAbuse.map((t) => [
          'failed token refreshes',
          `installation ${t.installationId}`,
          t.failedRefreshes,
        ]),
      ],
    },
  };
}

/**
 * The weekly report's sections, each figure beside the previous week's: executive summary, uptime and latency,
 * installations and tokens, security, API usage, sync, incidents and alerts, backups and capacity.
 *
 * @example
 * const sections = weeklySections(figures, 'HEALTHY');
 */
export function weeklySections(f: Record<string, unknown>, health: Verdict): ReportSection[] {
  const w = f as unknown as Weekly;
  const { thisWeek: a, previousWeek: b } = w;
  const abandoned = w.abandoned && {
    title: 'Stale failures marked abandoned (older than 7 days)',
    table: { name: 'abandoned', columns: ['table', 'rows'], rows: keyed(w.abandoned) },
  };
  // The figures step failed (its error is in the steps table): report what the other steps found.
  if (!a || !b || !w.snapshot) {
    const missing = { title: 'Weekly figures', text: 'Not available: the weekly figures step failed (see its step).' };
    return [missing, security(w), abandoned].filter((s): s is ReportSection => Boolean(s));
  }
  const sections: Array<ReportSection | undefined> = [
    summary(health, w, a, b),
    uptime(a, b),
    ...latency(a, b),
    ...installations(w, a, b),
    { title: 'Token refreshes', table: { name: 'token-refreshes', ...byKey(a.tokenRefreshes, b.tokenRefreshes) } },
    {
      title: 'Security events by type',
      table: { name: 'security-events', ...byKey(a.securityEvents, b.securityEvents) },
    },
    security(w),
    apiSection('API calls, errors and rate-limit hits per integration', SERIES, a.api, b.api),
    syncSection('Sync success rate per entity', SERIES, a.sync, b.sync),
    ...incidents(w, a, b),
    backups(w.snapshot, w.previousSnapshot, a, b),
    capacity(w),
    abandoned,
  ];
  return sections.filter((s): s is ReportSection => Boolean(s));
}
