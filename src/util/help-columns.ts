/**
 * How wide a command's --help is wrapped: the terminal's width, or COLUMNS where there is no
 * terminal (a pipe; the build renders the help ahead this way), at most HELP_MAX_COLUMNS. The
 * help's text depends on nothing else, so scripts/start.mjs names the texts it keeps by this width
 * (through the compiled copy of this module), and every width that gives the same text shares one.
 */
export const HELP_MAX_COLUMNS = 120;

export function helpColumns(): number {
  const fromEnvironment = Number.parseInt(process.env.COLUMNS ?? '', 10);
  const columns = process.stdout.columns || (fromEnvironment > 0 ? fromEnvironment : HELP_MAX_COLUMNS);
  return Math.min(HELP_MAX_COLUMNS, columns);
}
