import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { configFromArgs, parseArgs, parseSeeds, parseFractionList, runControlFromArgs } from '../src/cli.ts';
import { DEFAULT_CONFIG } from '../src/config.ts';
import { UserError } from '../src/errors.ts';
import { PROJECT_ROOT, runCli, tempFolder } from './fixtures/cli.ts';

function userError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UserError, `not a UserError: ${String(error)}`);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('\n'), 'message is more than one line');
    return true;
  });
}

test('defaults, presets and explicit options resolve in that order', () => {
  assert.deepEqual(configFromArgs({}), DEFAULT_CONFIG);
  const quick = configFromArgs({ quick: true });
  assert.deepEqual(quick.seeds, [1]);
  const quickButTwoSeeds = configFromArgs({ quick: true, seeds: '2' });
  assert.deepEqual(quickButTwoSeeds.seeds, [1, 2]);
  assert.equal(quickButTwoSeeds.pretrainEpochs, quick.pretrainEpochs);
  assert.deepEqual(configFromArgs({ 'labels-per-class': '10,1,100' }).labelsPerClass, [1, 10, 100]);
  assert.deepEqual(configFromArgs({ 'labels-per-class': '10' }).labeled, []);
});

test('seeds: a count or a list', () => {
  assert.deepEqual(parseSeeds('3'), [1, 2, 3]);
  assert.deepEqual(parseSeeds('7,'), [7]);
  assert.deepEqual(parseSeeds('9,4'), [4, 9]);
  userError(() => parseSeeds('0'), /--seeds "0" is not a whole number ≥ 1/);
  userError(() => parseSeeds('two'), /--seeds "two"/);
});

test('bad values name the option and what would work', () => {
  userError(() => parseFractionList('0'), /--labeled 0 is not a fraction in \(0, 1\]/);
  userError(() => parseFractionList('2'), /--labeled 2 is not a fraction/);
  userError(() => parseFractionList('-0.1'), /--labeled -0.1/);
  userError(() => parseFractionList('abc'), /--labeled "abc" is not a number/);
  userError(() => parseFractionList('0.1,0.1'), /lists a value twice/);
  userError(() => configFromArgs({ backend: 'gpu' }), /--backend gpu is unknown: use one of auto, native, wasm, cpu/);
  userError(() => configFromArgs({ latent: '1.5' }), /--latent "1.5" is not a whole number/);
  userError(() => configFromArgs({ 'learning-rate': 'fast' }), /--learning-rate "fast" is not a number/);
  userError(() => configFromArgs({ noise: '1' }), /--noise 1 is out of range/);
  userError(() => configFromArgs({ labeled: '0.1', 'labels-per-class': '5' }), /both given/);
  userError(() => configFromArgs({ dataset: 'cifar' }), /--dataset cifar is unknown/);
  userError(() => configFromArgs({ dataset: 'idx' }), /needs --data-dir/);
  userError(() => configFromArgs({ preset: 'huge' }), /--preset huge is unknown/);
  // --force names a stage; the plan checks it against its stages and adds every job that reads it (runner.test.ts).
  assert.deepEqual(runControlFromArgs({ force: 'pretrain' }).force, ['pretrain']);
  assert.equal(runControlFromArgs({ force: '' }).force, 'all');
  assert.deepEqual(runControlFromArgs({}).force, []);
});

test('an unwritable --out is refused before anything runs, leaving nothing behind', () => {
  const dir = tempFolder('out');
  const file = path.join(dir, 'a-file');
  fs.writeFileSync(file, 'x');
  userError(() => configFromArgs({ out: file }), /--out .* is a file, not a folder/);
  userError(() => configFromArgs({ out: path.join(file, 'sub') }), /--out .* is not writable/);
  configFromArgs({ out: path.join(dir, 'new', 'deeper') });
  assert.deepEqual(fs.readdirSync(dir), ['a-file'], 'the writability probe left something behind');
});

test('the real CLI: a bad value exits 2 with one line on stderr and writes nothing', async () => {
  const cwd = tempFolder('cli');
  for (const args of [['--labeled', '2'], ['--labeled', '0.0001'], ['--backend', 'gpu'], ['--seeds', 'x'], ['--no-such-option']]) {
    const result = await runCli('run.ts', args, cwd);
    assert.equal(result.code, 2, `${args.join(' ')}: exit ${result.code}\n${result.stderr}`);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: stderr was\n${result.stderr}`);
    assert.match(lines[0], /^error: /);
  }
  // Nothing but, at most, the decoded dataset in the dataset cache (a check needs the data: --labeled 0.0001).
  const written = fs.readdirSync(cwd, { recursive: true }).map(String).sort();
  assert.ok(written.every((file) => ['data', path.join('data', 'cache')].includes(file) || /^data\/cache\/embedded-mnist-[0-9a-f]{20}\.bin$/.test(file)), `a failed run wrote ${written.join(', ')}`);
});

test('--help lists the options with examples; --version prints the version', async () => {
  const cwd = tempFolder('help');
  const help = await runCli('run.ts', ['--help'], cwd);
  assert.equal(help.code, 0);
  for (const option of ['--labeled', '--labels-per-class', '--seeds', '--latent', '--pretrain-epochs', '--finetune-epochs', '--batch-size', '--learning-rate', '--noise', '--backend', '--out', '--quick', 'Examples:']) {
    assert.ok(help.stdout.includes(option), `--help lacks ${option}`);
  }
  // Lines wrap between words (yargs' CommonJS build; its ES build cut words in two).
  for (const word of ['--label-column', '(MD5-checked)', 'pseudo-label', 'two-phase']) {
    assert.ok(help.stdout.includes(word), `--help cuts ${word} in two`);
  }
  const version = await runCli('run.ts', ['--version'], cwd);
  assert.equal(version.code, 0);
  assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
});

test('every npm script answers --version alone before checking the build (scripts/start.mjs), as its own options would', () => {
  const { scripts, version } = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; version: string };
  const commands = Object.values(scripts).map((line) => /^node scripts\/start\.mjs (pipeline\/\S+\.ts)$/.exec(line)?.[1]).filter((script) => script !== undefined);
  assert.ok(commands.length >= 8, `start.mjs scripts: ${commands.join(', ')}`);
  for (const script of commands) {
    const fast = spawnSync(process.execPath, ['scripts/start.mjs', script, '--version'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    const own = spawnSync(process.execPath, ['--import', 'tsx', script, '--version'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    assert.deepEqual([fast.status, fast.stdout], [0, `${version}\n`], `${script} through start.mjs`);
    assert.deepEqual([own.status, own.stdout], [0, `${version}\n`], `${script} --version by its own options: ${own.stderr}`);
  }
});

test('--help alone prints the text the first --help of this build stored (scripts/start.mjs); other calls render it, in English', () => {
  // A copy of the project with the same file times (so its build is current), the stored texts its own.
  const project = tempFolder('help-store');
  for (const entry of ['src', 'pipeline', 'scripts', 'build', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
    fs.cpSync(path.join(PROJECT_ROOT, entry), path.join(project, entry), { recursive: true, preserveTimestamps: true, filter: (from) => !from.endsWith(`${path.sep}.help`) });
  }
  fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(project, 'node_modules'));
  // Without a terminal the help is as wide as COLUMNS says (at most 120): set, so the test does not depend on the shell's.
  const start = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, ['scripts/start.mjs', 'pipeline/run.ts', ...args], { cwd: project, encoding: 'utf8', env: { ...process.env, COLUMNS: '120', ...env } });
  try {
    const first = start(['--help']);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /^Options:$/m);
    const stored = fs.readdirSync(path.join(project, 'build', '.help'));
    assert.deepEqual(stored, ['pipeline+run.js--help-120.txt']);
    const storedFile = path.join(project, 'build', '.help', stored[0]!);
    assert.equal(fs.readFileSync(storedFile, 'utf8'), first.stdout);
    // The second --help prints the stored file, whatever it holds; with any other option the help is rendered.
    fs.writeFileSync(storedFile, 'the stored text\n');
    assert.deepEqual([start(['--help']).stdout, start(['--help']).status], ['the stored text\n', 0]);
    const rendered = start(['--quiet', '--help'], { LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8' });
    assert.equal(rendered.stdout, first.stdout, 'yargs follows LANG again ("Optionen:")');
    // Another width is another text, kept apart; a width beyond 120 is 120's.
    const narrow = start(['--help'], { COLUMNS: '80' });
    assert.ok(narrow.stdout.split('\n').every((line) => line.length <= 80) && narrow.stdout !== first.stdout, 'wrapped at 80');
    assert.equal(fs.readFileSync(path.join(project, 'build', '.help', 'pipeline+run.js--help-80.txt'), 'utf8'), narrow.stdout);
    assert.equal(start(['--help'], { COLUMNS: '200' }).stdout, 'the stored text\n');
    assert.match(start(['--bogus'], { LC_ALL: 'fr_FR.UTF-8' }).stderr, /Unknown argument: bogus\. See --help\./);
    // A rebuild (a source newer than the build) replaces the stored texts with the rest of build/.
    assert.ok(fs.existsSync(storedFile));
    const source = path.join(project, 'src', 'util', 'yargs.mjs');
    const { atime, mtime } = fs.statSync(source);
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(source, later, later);
    const rebuilt = start(['--version', '--quiet']);
    assert.equal(rebuilt.status, 0, rebuilt.stderr);
    assert.ok(!fs.existsSync(storedFile), 'the stored help outlived a rebuild');
    // Its time back, so the new build is current (it is older than "later").
    fs.utimesSync(source, atime, mtime);
    // What `npm install` does after building: every npm command's help stored ahead, at 80 and 120 columns.
    const ahead = spawnSync(process.execPath, ['--input-type=module', '-e', "await (await import('./scripts/build.mjs')).storeHelpTexts()"], { cwd: project, encoding: 'utf8' });
    assert.equal(ahead.status, 0, ahead.stderr);
    const commands = ['run', 'tune', 'report', 'predict', 'queue-worker', 'slurm-job', 'bench', 'clean'];
    assert.deepEqual(fs.readdirSync(path.join(project, 'build', '.help')).sort(), commands.flatMap((c) => [`pipeline+${c}.js--help-120.txt`, `pipeline+${c}.js--help-80.txt`]).sort());
    assert.equal(fs.readFileSync(path.join(project, 'build', '.help', 'pipeline+run.js--help-80.txt'), 'utf8'), start(['--quiet', '--help'], { COLUMNS: '80' }).stdout);
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
});

test('odd spellings that used to run another experiment than asked for are refused', async () => {
  // Number() reads hexadecimal, binary and octal: --labeled 0x1 was the whole pool, --hidden 0b1000 was 8
  userError(() => parseFractionList('0x1'), /--labeled "0x1" is not a number/);
  userError(() => configFromArgs({ hidden: '0b1000' }), /--hidden "0b1000" is not a whole number/);
  userError(() => parseSeeds('0x3'), /--seeds "0x3"/);
  assert.deepEqual(parseFractionList('.5,1e-2'), [0.01, 0.5]);
  // seeds feed 32-bit generators: 4294967296 was seed 0 again
  userError(() => parseSeeds('4294967296,'), /--seeds 4294967296 is too large: give at most 4294967295/);
  // yargs reads any value of a switch but "true" as off: --quick=yes ran the full configuration
  for (const argv of [['--quick=yes'], ['--download=1'], ['--no-quiet=0']]) {
    await assert.rejects(parseArgs(argv, 'x'), (e: Error) => e instanceof UserError && /is a switch and takes no value/.test(e.message));
  }
  assert.equal((await parseArgs(['--quick=true'], 'x'))?.quick, true);
  // a path option given without a value resolved to the current folder
  for (const option of ['out', 'cache-dir', 'csv', 'data-dir']) userError(() => configFromArgs({ [option]: '' }), new RegExp(`--${option} is empty`));
  userError(() => runControlFromArgs({ jobs: ['1', '2'] }), /--jobs was given more than once/);
  // float32 holds no 1e-50: that learning rate was 0, and nothing trained
  userError(() => configFromArgs({ 'learning-rate': '1e-50' }), /--learning-rate 1e-50 is 0 in float32/);
});

test('--labeled all (or 1) is every labeled example', () => {
  assert.deepEqual(configFromArgs({ labeled: 'all' }).labeled, [1]);
  assert.deepEqual(configFromArgs({ labeled: '0.1,ALL' }).labeled, [0.1, 1]);
  assert.deepEqual(configFromArgs({ labeled: '1' }).labeled, [1]);
  userError(() => parseFractionList('some'), /--labeled "some" is not a number: give fractions of the labeled examples in \(0, 1\], e\.g\. 0\.01,0\.05,0\.1, or all/);
});

test('--dataset images: its folders must exist; its options belong to it alone', () => {
  const dir = tempFolder('images-cli');
  for (const sub of ['labeled', 'unlabeled', 'test']) fs.mkdirSync(path.join(dir, sub));
  const config = configFromArgs({ dataset: 'images', 'data-dir': path.join(dir, 'labeled'), 'unlabeled-dir': path.join(dir, 'unlabeled'), 'test-dir': path.join(dir, 'test'), 'image-size': '32', channels: '3' });
  assert.deepEqual(config.datasetOptions, { dataDir: path.join(dir, 'labeled'), unlabeledDir: path.join(dir, 'unlabeled'), testDir: path.join(dir, 'test'), imageSize: 32, channels: 3 });
  const defaults = configFromArgs({ dataset: 'images', 'data-dir': path.join(dir, 'labeled') });
  assert.deepEqual(defaults.datasetOptions, { dataDir: path.join(dir, 'labeled') }, 'options not given are left out (the source applies its defaults)');
  userError(() => configFromArgs({ dataset: 'images' }), /--dataset images needs --data-dir DIR: a folder with one subfolder of images per class/);
  userError(() => configFromArgs({ dataset: 'images', 'data-dir': path.join(dir, 'nope') }), /--data-dir \S+nope is not a folder/);
  userError(() => configFromArgs({ dataset: 'images', 'data-dir': dir, 'unlabeled-dir': path.join(dir, 'nope') }), /--unlabeled-dir \S+nope is not a folder: give the folder that holds the unlabeled images/);
  userError(() => configFromArgs({ dataset: 'images', 'data-dir': dir, channels: '2' }), /--channels 2 is not 1 or 3/);
  userError(() => configFromArgs({ dataset: 'images', 'data-dir': dir, 'image-size': '0' }), /--image-size "0" is not a whole number ≥ 1/);
  userError(() => configFromArgs({ dataset: 'images', 'data-dir': dir, 'test-dir': path.join(dir, 'test'), 'test-fraction': '0.3' }), /--test-fraction and --test-dir both given/);
  userError(() => configFromArgs({ 'unlabeled-dir': dir }), /--unlabeled-dir is only used with --dataset images \(the dataset is embedded\)/);
  userError(() => configFromArgs({ dataset: 'csv', csv: fileURLToPath(import.meta.url), 'label-column': 'x', channels: '1' }), /--channels is only used with --dataset images/);
});
