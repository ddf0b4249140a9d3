/**
 * Console output for the pipeline: stage headers and per-job progress for
 * people; plain whole lines when stdout is not a terminal (CI logs);
 * nothing but errors and the final line under --quiet.
 */
export interface Logger {
  /** A stage or section header. */
  header(text: string): void;
  /** An ordinary line. */
  info(text: string): void;
  /** A line that matters even under --quiet (e.g. where the report is). */
  always(text: string): void;
  warn(text: string): void;
}

export function createLogger(quiet: boolean, stream: NodeJS.WriteStream = process.stdout): Logger {
  const tty = Boolean(stream.isTTY);
  const bold = (text: string) => (tty ? `\x1b[1m${text}\x1b[0m` : text);
  return {
    header: (text) => { if (!quiet) stream.write(`\n${bold(`== ${text}`)}\n`); },
    info: (text) => { if (!quiet) stream.write(`${text}\n`); },
    always: (text) => { stream.write(`${text}\n`); },
    warn: (text) => { process.stderr.write(`warning: ${text}\n`); },
  };
}

