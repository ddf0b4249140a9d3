/**
 * How every command ends: bad input (a UserError) prints one line and exits
 * 2; anything else is a bug, shows its stack and exits 1. The wasm backend
 * installs handlers that rethrow uncaught errors with its whole minified
 * source, so nothing may escape a command uncaught.
 */
import { UserError, USER_ERROR_EXIT_CODE } from '../errors.ts';

export async function runCommand(body: () => Promise<void>): Promise<void> {
  // `… | head` closes the pipe early: stop quietly instead of failing on the next write.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      throw error;
    });
  }
  try {
    await body();
  } catch (error) {
    if (error instanceof UserError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exit(USER_ERROR_EXIT_CODE);
    }
    process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(1);
  }
}
