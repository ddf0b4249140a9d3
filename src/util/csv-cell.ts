/** One CSV cell, quoted the RFC 4180 way when it needs it (a comma, quote, line break or edge space), so columns never shift. */
export function csvCell(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
