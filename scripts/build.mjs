/**
 * Compile src/ and pipeline/ into build/ (the same layout, .js), so that commands start without a
 * TypeScript loader: `npm install` and `npm ci` run this (package.json "prepare"), and
 * scripts/start.mjs runs it again whenever a source is newer than the last build. Plain
 * JavaScript, as it must run before anything is compiled.
 *
 * The compiled copy is written beside build/ and swapped in whole, so a command starting meanwhile
 * never reads half a build.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where the compiled copy goes (src/util/source-files.ts names it too). */
export const BUILD_DIR = path.join(PROJECT_ROOT, 'build');
/** Written last into a finished build: its time is when compiling started, its content how many sources it was built from. */
const STAMP = '.built';
/** What is compiled, and the settings that shape the output (the lock file: the compiler's version). */
const SOURCE_FOLDERS = ['src', 'pipeline'];
const SETTINGS = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
/** Files the code reads from beside itself (import.meta.url), copied to the same place in the build. */
const ASSETS = ['src/backend/assembly/kernels.wasm', 'src/backend/assembly/kernels-relaxed.wasm'];

/**
 * Every source a build depends on: the TypeScript it compiles, and the .mjs modules the compiled code
 * imports from the source tree (package.json "imports"). Those are not compiled, but they shape
 * the help texts a build keeps (scripts/start.mjs), which a rebuild renews.
 */
function sources() {
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.ts') || entry.name.endsWith('.mjs')) found.push(file);
    }
  };
  for (const folder of SOURCE_FOLDERS) walk(path.join(PROJECT_ROOT, folder));
  return found;
}

/** Why build/ cannot be used as it is (undefined: it is up to date with every source). */
export function staleness() {
  let stamp;
  try {
    stamp = { time: fs.statSync(path.join(BUILD_DIR, STAMP)).mtimeMs, count: Number(fs.readFileSync(path.join(BUILD_DIR, STAMP), 'utf8')) };
  } catch {
    return 'there is no build yet';
  }
  const files = sources();
  if (files.length !== stamp.count) return 'sources were added or removed';
  for (const file of [...files, ...[...SETTINGS, ...ASSETS].map((name) => path.join(PROJECT_ROOT, name))]) {
    if (fs.statSync(file).mtimeMs > stamp.time) return `${path.relative(PROJECT_ROOT, file)} changed`;
  }
  return undefined;
}

/** Compile into a fresh folder and swap it in for build/; throws with the compiler's output when it fails. */
export function build() {
  const started = new Date();
  const count = sources().length;
  const staging = `${BUILD_DIR}.tmp-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  // Type errors are `npm test`'s business; compiling only strips the types.
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(PROJECT_ROOT, 'tsconfig.build.json'), '--noCheck', '--outDir', staging], { encoding: 'utf8' });
  if (result.status !== 0) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new Error(`compiling the TypeScript sources failed:\n${result.stdout}${result.stderr}`);
  }
  for (const asset of ASSETS) {
    fs.mkdirSync(path.dirname(path.join(staging, asset)), { recursive: true });
    fs.copyFileSync(path.join(PROJECT_ROOT, asset), path.join(staging, asset));
  }
  fs.writeFileSync(path.join(staging, STAMP), String(count));
  fs.utimesSync(path.join(staging, STAMP), started, started);
  const old = `${BUILD_DIR}.old-${process.pid}`;
  try {
    fs.renameSync(BUILD_DIR, old);
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
  try {
    fs.renameSync(staging, BUILD_DIR);
  } catch (error) {
    // Another command swapped in its build first: use that one.
    fs.rmSync(staging, { recursive: true, force: true });
    if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
  }
  fs.rmSync(old, { recursive: true, force: true });
}

/** The native kernels (src/backend/native-kernels.ts, which names the addon's path too): their sources, and the addon node-gyp builds from them. */
const NATIVE_DIR = path.join(PROJECT_ROOT, 'native');
const NATIVE_SOURCES = ['kernels.cc', 'binding.gyp'];
const NATIVE_ADDON = path.join(NATIVE_DIR, 'build', 'Release', 'semisup_kernels.node');
/** What the last failed native build printed. */
const NATIVE_LOG = path.join(NATIVE_DIR, 'build-failed.log');

/** Whether the addon is built and newer than its sources. */
function nativeAddonIsCurrent() {
  try {
    const built = fs.statSync(NATIVE_ADDON).mtimeMs;
    return NATIVE_SOURCES.every((name) => fs.statSync(path.join(NATIVE_DIR, name)).mtimeMs < built);
  } catch {
    return false;
  }
}

/**
 * Build the addon with node-gyp unless it is current. It is optional: without a C++ compiler (or
 * node-gyp, or Node's headers) this prints one line and training runs the wasm kernels, with the
 * same results. node-gyp is npm's own (npm names it to the scripts it runs), and Node's
 * headers are those installed beside node where they are, so nothing is downloaded.
 */
export function buildNativeAddon() {
  if (nativeAddonIsCurrent()) return;
  const bundled = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const gyp = [process.env.npm_config_node_gyp, bundled].find((file) => file && fs.existsSync(file));
  const notBuilt = (why) => console.error(`note: the native kernels were not built (${why}); training uses the wasm ones: the same results, slower.`);
  if (gyp === undefined) return notBuilt('node-gyp was not found');
  const args = [gyp, 'rebuild'];
  const nodeDir = path.resolve(path.dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && fs.existsSync(path.join(nodeDir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodeDir}`);
  const result = spawnSync(process.execPath, args, { cwd: NATIVE_DIR, encoding: 'utf8' });
  if (result.status !== 0) {
    fs.writeFileSync(NATIVE_LOG, `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ?? ''}`);
    return notBuilt(`node-gyp failed; its output is in ${path.relative(process.cwd(), NATIVE_LOG)}`);
  }
  fs.rmSync(NATIVE_LOG, { force: true });
}

/** The widths whose help texts a build stores ahead: a classic terminal's, and the widest (pipes, every wider terminal). */
const HELP_WIDTHS_AHEAD = [80, 120];

/**
 * Render `--help` of every command package.json runs through scripts/start.mjs at each width of
 * HELP_WIDTHS_AHEAD (COLUMNS, as without a terminal), so that start.mjs stores each text: even the
 * first `--help` after `npm install` then prints a stored text. Other widths are stored on first use.
 */
export async function storeHelpTexts() {
  const scripts = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).scripts;
  const commands = Object.values(scripts).map((line) => /^node scripts\/start\.mjs (\S+\.ts)$/.exec(line)?.[1]).filter(Boolean);
  const renders = commands.flatMap((command) => HELP_WIDTHS_AHEAD.map((columns) => ({ command, columns })));
  const render = ({ command, columns }) => new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'scripts', 'start.mjs'), command, '--help'], { cwd: PROJECT_ROOT, stdio: 'ignore', env: { ...process.env, COLUMNS: String(columns) } });
    child.on('exit', resolve);
    child.on('error', resolve);
  });
  // As many at a time as there are cores: each is a Node process of its own.
  const workers = Array.from({ length: Math.min(renders.length, os.availableParallelism()) }, async () => {
    for (let next = renders.shift(); next; next = renders.shift()) await render(next);
  });
  await Promise.all(workers);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  build();
  buildNativeAddon();
  await storeHelpTexts();
}
