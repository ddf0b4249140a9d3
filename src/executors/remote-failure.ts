/**
 * A job's failure as plain JSON, so it survives the trip from a worker on
 * another machine back to the coordinator: bad input (a UserError) stays a
 * UserError and prints its one line; a bug keeps the remote stack.
 */
import { UserError } from '../errors.ts';

export interface FailureRecord {
  message: string;
  stack?: string;
  userError: boolean;
}

export function failureRecord(error: unknown): FailureRecord {
  const err = error instanceof Error ? error : new Error(String(error));
  return { message: err.message, stack: err.stack, userError: error instanceof UserError };
}

/** The coordinator's error for a failed remote job; `where` says which worker or node ran it. */
export function errorFromRecord(record: FailureRecord, where: string): Error {
  if (record.userError) return new UserError(record.message);
  const error = new Error(`${record.message} (on ${where})`);
  if (record.stack) error.stack = `${record.stack}\n    (on ${where})`;
  return error;
}

/**
 * For an engine that keeps only a failure's message and stack (BullMQ): the stack's first line names
 * the kind, "UserError: …" for bad input of any subclass, the error's own class for a bug.
 */
export function stackOf(error: unknown): string {
  const record = failureRecord(error);
  const kind = record.userError ? UserError.name : error instanceof Error ? error.name : 'Error';
  const frames = (record.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  return [`${kind}: ${record.message}`, ...frames].join('\n');
}

/** The record back from a message and a stack written by stackOf. */
export function recordFromStack(message: string, stack: string | undefined): FailureRecord {
  return { message, stack, userError: stack?.startsWith(`${UserError.name}: `) ?? false };
}

/** An error about a process elsewhere that died without saying why: the coordinator's own stack would only mislead. */
export function withoutLocalStack(message: string): Error {
  const error = new Error(message);
  error.stack = message;
  return error;
}
