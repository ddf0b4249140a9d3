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
const helpFile = args.length === 1 && (args[0] === '--help' || args[0] === '-h') ? await storedHelpFile(compiled, args[0]) : undefined;
const storedHelp = helpFile === undefined ? undefined : readIfThere(helpFile);
if (storedHelp !== undefined) {
  process.stdout.write(storedHelp);
} else {
  if (helpFile !== undefined) storeWhatIsPrinted(helpFile);
  // The command sees itself as the script node started (src/util/entry-script.ts), with its own options.
  process.argv = [process.argv[0], compiled, ...args];
  await import(pathToFileURL(compiled).href);
}

/**
 * Where `--help` alone keeps the text it printed, so that the next `--help` prints it without
 * rendering it again: rendering loads yargs and every module that declares options, and wraps 100-odd
 * lines (0.15 s). The text depends only on the build (a rebuild replaces build/ and the stored
 * texts with it), the command, the flag and the width it is wrapped to (src/util/help-columns.ts),
 * so the file is named after those. `npm install` stores the common ones ahead (scripts/build.mjs).
 */
async function storedHelpFile(compiled, flag) {
  const { helpColumns } = await import(pathToFileURL(path.join(BUILD_DIR, 'src', 'util', 'help-columns.js')).href);
  const command = path.relative(BUILD_DIR, compiled).replaceAll(path.sep, '+');
  return path.join(BUILD_DIR, '.help', `${command}${flag}-${helpColumns()}.txt`);
}

function readIfThere(file) {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Keep everything the command prints to stdout, and write it to `file` if the command exits cleanly. */
function storeWhatIsPrinted(file) {
  const printed = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk, ...rest) => {
    printed.push(Buffer.from(chunk, typeof rest[0] === 'string' ? rest[0] : 'utf8'));
    return write(chunk, ...rest);
  };
  process.on('exit', (code) => {
    if (code !== 0) return;
    // Written beside and renamed, so a command starting meanwhile never prints half a text. A
    // build folder this user cannot write to only means that the help is rendered every time.
    const partial = `${file}.${process.pid}`;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(partial, Buffer.concat(printed));
      fs.renameSync(partial, file);
    } catch {
      fs.rmSync(partial, { force: true });
    }
  });
}
