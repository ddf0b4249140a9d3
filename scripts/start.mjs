/**
 * How package.json's scripts start a command: `node scripts/start.mjs pipeline/run.ts ARGS…` runs
 * the compiled copy build/pipeline/run.js, compiling first when a source changed since the last
 * build (scripts/build.mjs). Node starts compiled JavaScript in a fraction of the time a
 * TypeScript loader needs. Tests and `npx tsx pipeline/<file>.ts` still run the sources directly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUILD_DIR, PROJECT_ROOT, build, staleness } from './build.mjs';

const [script, ...args] = process.argv.slice(2);
if (!script?.endsWith('.ts')) {
  console.error('usage: node scripts/start.mjs pipeline/<command>.ts [options]');
  process.exit(1);
}
// `--version` alone prints package.json's version, as every command's yargs would, without the build
// check and the command's imports: about half of its start-up.
if (args.length === 1 && args[0] === '--version') {
  console.log(JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).version);
  process.exit(0);
}
const why = staleness();
if (why !== undefined) {
  if (!args.includes('--quiet')) console.error(`compiling the TypeScript sources into build/ (${why}) …`);
  build();
}
const compiled = path.join(BUILD_DIR, path.relative(PROJECT_ROOT, path.resolve(PROJECT_ROOT, script))).replace(/\.ts$/, '.js');
// The command sees itself as the script node started (src/util/entry-script.ts), with its own options.
process.argv = [process.argv[0], compiled, ...args];
await import(pathToFileURL(compiled).href);
