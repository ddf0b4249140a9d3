// yargs as every command imports it (`#yargs`, mapped in package.json's "imports"; the types are
// yargs' own). It is loaded with require(), and its CommonJS build is the better one: its help
// wraps at word boundaries, where the ES build's cuts words in two ("--label-\ncolumn").
import fs from 'node:fs';
import { createRequire } from 'node:module';

const Yargs = createRequire(import.meta.url)('yargs/yargs');
// The CommonJS build looks for the version from the main module or the working folder, which is
// not semisup's when a command runs from another folder; the version is semisup's own.
const { version } = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

/**
 * yargs(args), answering --version with semisup's version. In English whatever the locale:
 * semisup's own help and messages are English, and yargs' would otherwise follow LANG ("Optionen:",
 * "Argument inconnu : bogus. See --help."); it also makes the help text the same in every shell.
 */
export default function yargs(args, cwd) {
  return Yargs(args, cwd).version(version).locale('en');
}
