/**
 * Ctrl-C (SIGINT) or SIGTERM: clean up (withdraw queued jobs, stop workers,
 * progress bars), say what was done, and exit with 130/143. Finished jobs are
 * already in the store; a job cut off mid-way left only a temporary folder
 * that no later run trusts, so rerunning the command resumes from there.
 */

/** How long cleanup may take before the process exits anyway. */
const CLEANUP_SECONDS = 10;

/** Handle Ctrl-C and SIGTERM with `cleanup` until the returned function is called. */
export function exitOnSignals(cleanup: () => Promise<string | undefined> | void): () => void {
  const handlers = ([['SIGINT', 130], ['SIGTERM', 143]] as const).map(([signal, code]) => {
    const handler = () => {
      const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), CLEANUP_SECONDS * 1000).unref());
      const cleaned = Promise.resolve().then(async (): Promise<string | undefined> => (await cleanup()) ?? undefined);
      void Promise.race([cleaned, timeout])
        .catch((error: unknown) => `cleanup failed: ${error instanceof Error ? error.message : String(error)}`)
        .then((said) => {
          if (said) process.stderr.write(`\n${said}`);
          process.stderr.write(`\ninterrupted (${signal}): finished jobs are cached; run the same command again to resume.\n`);
          process.exit(code);
        });
    };
    process.once(signal, handler);
    return [signal, handler] as const;
  });
  return () => handlers.forEach(([signal, handler]) => process.off(signal, handler));
}
