/**
 * How package.json's scripts start a command: `node scripts/start.mjs pipeline/run.ts ARGS…` runs
 * the compiled copy build/pipeline/run.js, compiling first when a source changed since the last
 * build (scripts/build.mjs). Node starts compiled JavaScript in a fraction of the time a
 * TypeScript loader needs. Tests and `npx tsx pipeline/<file>.ts` still run the sources directly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [script, ...args] = process.argv.slice(2);
if (!script?.endsWith('.ts')) {
  console.error('usage: node scripts/start.mjs pipeline/<command>.ts [options]');
  process.exit(1);
}
// `--version` alone prints package.json's version, as every command's yargs does (a test checks
// each), before loading the build check or the command: about half of its start-up.
if (args.length === 1 && args[0] === '--version') {
  const packageJson = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'package.json');
  console.log(JSON.parse(fs.readFileSync(packageJson, 'utf8')).version);
  process.exit(0);
}
const { BUILD_DIR, PROJECT_ROOT, build, staleness } = await import('./build.mjs');
const why = staleness();
if (why !== undefined) {
  if (!args.includes('--quiet')) console.error(`compiling the TypeScript sources into build/ (${why}) …`);
  build();
}
const compiled = path.join(BUILD_DIR, path.relative(PROJECT_ROOT, path.resolve(PROJECT_ROOT, script))).replace(/\.ts$/, '.js');
// The command sees itself as the script node started (src/util/entry-script.ts), with its own options.
process.argv = [process.argv[0], compiled, ...args];
await import(pathToFileURL(compiled).href);
