/**
 * Ctrl-C (SIGINT) or SIGTERM: clean up (stop workers, progress bars) and exit
 * at once with 130/143. Finished jobs are already in the store; a job cut off
 * mid-way left only a temporary folder that no later run trusts, so rerunning
 * the command resumes from there.
 */
export function exitOnSignals(cleanup: () => void): void {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      cleanup();
      process.stderr.write(`\ninterrupted (${signal}): finished jobs are cached; run the same command again to resume.\n`);
      process.exit(code);
    });
  }
}
