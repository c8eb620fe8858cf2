/** One step of a runbook or monitor run, as the API and reports show it (the `steps` of the runs' `status` query). */
export interface RunStep {
  name: string;
  status: 'pending' | 'running' | 'ok' | 'warning' | 'failed';
  durationMs: number;
  summary: string;
}

/** The runbooks that produce reports. */
export type ReportKind = 'daily' | 'weekly' | 'monthly';

/** The verdict of a runbook run. */
export type Verdict = 'HEALTHY' | 'DEGRADED' | 'UNHEALTHY';

/** A table of figures; cells are plain strings or numbers. */
export interface ReportTable {
  /** Its name for `GET /reports/:id?format=csv&table=<name>` (else derived from the section's title). */
  name?: string;
  columns: string[];
  rows: Array<Array<string | number>>;
}

/**
 * A bar chart comparing one period with the previous one (week over week, month over month): each bar group
 * has one value per series.
 */
export interface ReportChart {
  series: [string, string];
  unit?: string;
  /** What the bars measure and what they are grouped by, printed on the chart's axes. */
  valueAxis?: string;
  labelAxis?: string;
  bars: Array<{ label: string; values: [number, number] }>;
}

/** A link in a report (to an incident, a run, or an action), shown as its text. */
export interface ReportLink {
  text: string;
  href: string;
  /** How the link is used when it is not a page to open: `POST` with the operator token. */
  method?: 'POST';
}

/** One section of a report: a heading, optional prose and links, and a table and/or a chart. */
export interface ReportSection {
  title: string;
  text?: string;
  links?: ReportLink[];
  table?: ReportTable;
  chart?: ReportChart;
}

/**
 * A runbook report as stored in `runbook_reports.data` and served as JSON; Markdown and HTML are rendered from it.
 * `figures` holds the raw numbers (for machines and tests); `sections` is what people read.
 */
export interface Report {
  id: string;
  kind: ReportKind;
  title: string;
  runId: string;
  health: Verdict;
  periodStart: string;
  periodEnd: string;
  generatedAt: string;
  steps: RunStep[];
  figures: Record<string, unknown>;
  sections: ReportSection[];
}
