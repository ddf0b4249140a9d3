/**
 * A UserError is bad input the user can fix (a CLI value, a file, a dataset).
 * The CLI prints its one-line message without a stack and exits with code 2;
 * any other error is a bug and shows its stack.
 */
export class UserError extends Error {
  override name = 'UserError';
  constructor(message: string) {
    super(message);
  }
}

/** Exit code for bad input, as the README promises. */
export const USER_ERROR_EXIT_CODE = 2;
