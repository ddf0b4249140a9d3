/**
 * Paths as the user typed them. `npm run <script>` starts the script in the
 * package's folder, not in the folder the user typed the command in (npm keeps
 * that one in INIT_CWD), so `--csv ./x.csv` must be resolved against the
 * user's folder, and paths printed back are made relative to it.
 */
import path from 'node:path';

/**
 * The folder the user typed the command in. INIT_CWD counts only when npm
 * started this process in the package folder: a process spawned elsewhere (a
 * test, another tool) inherits npm's variables without npm's change of folder.
 */
export function invocationDir(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const initCwd = env.INIT_CWD;
  const packageJson = env.npm_package_json;
  if (!initCwd || !packageJson || path.dirname(packageJson) !== cwd) return cwd;
  return path.resolve(initCwd);
}

/** An absolute path for a path the user typed (relative ones are relative to the folder they typed the command in). */
export function userPath(typed: string): string {
  return path.resolve(invocationDir(), typed);
}

/** A path as the user would type it from their folder: relative when it lies below it, else absolute. */
export function displayPath(absolute: string): string {
  const relative = path.relative(invocationDir(), absolute);
  return relative === '' ? '.' : relative.startsWith('..') || path.isAbsolute(relative) ? absolute : relative;
}
