import { stringify } from 'csv-stringify/sync';
import type { Report, ReportSection } from './types.js';

/** A URL-safe name for a heading: lower case, words joined by dashes. */
export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'section'
  );
}

/** The anchor of a section in the HTML report (`#uptime-and-latency-per-integration`). */
export const sectionAnchor = (s: ReportSection) => slug(s.title);

/** A report table with the name `GET /reports/:id?format=csv&table=<name>` knows it by. */
export interface NamedTable {
  name: string;
  section: string;
  columns: string[];
  rows: Array<Array<string | number>>;
}

/**
 * Every table of a report, named: its own name, else its section's anchor. A name taken twice gets a number.
 *
 * @example
 * const tables = reportTables(report); // [{ name: 'uptime', section: 'Uptime and latency per integration', … }]
 */
export function reportTables(report: Report): NamedTable[] {
  const seen = new Map<string, number>();
  const tables: NamedTable[] = [];
  for (const s of report.sections) {
    if (!s.table) continue;
    const base = s.table.name ?? sectionAnchor(s);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    tables.push({ name: n === 1 ? base : `${base}-${n}`, section: s.title, ...s.table });
  }
  return tables;
}

/**
 * A table as RFC 4180 CSV: CRLF line ends, a header row, and fields with commas, quotes or line breaks quoted
 * (quotes doubled).
 *
 * @example
 * toCsv({ columns: ['a', 'b'], rows: [[1, 'x, y']] }); // 'a,b\r\n1,"x, y"\r\n'
 */
export function toCsv(table: Pick<NamedTable, 'columns' | 'rows'>): string {
  return stringify([table.columns, ...table.rows], { record_delimiter: 'windows' });
}
