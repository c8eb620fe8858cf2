/**
 * Escapes text for HTML element content and quoted attribute values: the API reference page, the HTML reports
 * and the notification emails all build their markup with it.
 *
 * @example
 * `<td>${escapeHtml(incident.title)}</td>`
 */
export function escapeHtml(value: string | number): string {
  return String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}
