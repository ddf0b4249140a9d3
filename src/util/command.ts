/**
 * How every command ends: bad input (a UserError) and a file system that
 * refuses (a full disk, a read-only folder) print one line and exit 2;
 * anything else is a bug, shows its stack and exits 1. The wasm backend
 * installs handlers that rethrow uncaught errors with its whole minified
 * source, so nothing may escape a command uncaught.
 */
import { UserError, USER_ERROR_EXIT_CODE } from '../errors.ts';
import { asFileSystemUserError } from './folders.ts';

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
  } catch (thrown) {
    const error = asFileSystemUserError(thrown);
    if (error instanceof UserError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exit(USER_ERROR_EXIT_CODE);
    }
    process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(1);
  }
}
