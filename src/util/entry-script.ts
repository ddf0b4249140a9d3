import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** True when `moduleUrl` is the script node was started with (a file that is both a library and a command). */
export function isEntryScript(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && path.resolve(entry) === fileURLToPath(moduleUrl);
}
