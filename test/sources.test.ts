import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { configFromArgs, parseArgs, pipelineOptions } from '../src/cli.ts';
import { DATASET_NAMES, DATASET_SOURCES, describeDataset, sourceFromConfig } from '../src/data/sources.ts';
import { UserError } from '../src/errors.ts';
import { tempFolder } from './fixtures/cli.ts';

const dir = tempFolder('sources');
const csvFile = path.join(dir, 'table.csv');
fs.writeFileSync(csvFile, 'f,c\n1,a\n2,b\n');
const camel = (kebab: string) => kebab.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** A value each kind of option takes. */
const valueFor = (kind: string) => (kind === 'switch' ? true : kind === 'path' ? dir : '3');

test('every option a source declares is refused with every --dataset of the other sources, naming its owners', () => {
  let refusals = 0;
  const seen = new Set<string>();
  for (const source of DATASET_SOURCES) {
    for (const [option, declared] of Object.entries(source.options)) {
      if (seen.has(option)) continue;
      seen.add(option);
      const owners = DATASET_SOURCES.filter((s) => Object.hasOwn(s.options, option)).flatMap((s) => Object.keys(s.names));
      for (const dataset of DATASET_NAMES.filter((name) => !owners.includes(name))) {
        assert.throws(() => configFromArgs({ dataset, [option]: valueFor(declared.kind) }), (error: unknown) => {
          assert.ok(error instanceof UserError, String(error));
          assert.match(error.message, new RegExp(`^--${option} is only used with --dataset .*\\(the dataset is ${dataset}\\): add --dataset .* or drop --${option}\\.$`));
          for (const owner of owners) assert.ok(error.message.includes(owner), `${error.message} does not name ${owner}`);
          return true;
        });
        refusals++;
      }
    }
  }
  // data-dir (2 owners, 5 other names), download (3 owners, 4 others), 4 csv options, 4 more images options (6 others each).
  assert.equal(refusals, 5 + 4 + 4 * 6 + 4 * 6);
});

test('each source reads its own options into datasetOptions under their config names, and says what it loads', () => {
  const images = configFromArgs({ dataset: 'images', 'data-dir': dir, 'unlabeled-dir': dir, 'test-dir': dir, 'image-size': '16', channels: '1' });
  assert.deepEqual(sourceFromConfig(images), { kind: 'images', dir, unlabeledDir: dir, testDir: dir, imageSize: 16, channels: 1 });
  const csv = configFromArgs({ dataset: 'csv', csv: csvFile, 'label-column': 'c', 'drop-columns': 'x,y', impute: 'mean' });
  assert.deepEqual(sourceFromConfig(csv), { kind: 'csv', file: csvFile, labelColumn: 'c', dropColumns: ['x', 'y'], impute: 'mean' });
  assert.deepEqual(sourceFromConfig(configFromArgs({ dataset: 'fashion-mnist', download: true })), { kind: 'named', name: 'fashion-mnist', download: true });
  assert.deepEqual(sourceFromConfig(configFromArgs({ dataset: 'idx', 'data-dir': dir })), { kind: 'idx', dir });
  assert.deepEqual(sourceFromConfig(configFromArgs({})), { kind: 'embedded' });
  // The config's keys are the options' camelCase names, so params.json reads back through --config.
  for (const config of [images, csv]) {
    const owned = DATASET_SOURCES.find((s) => Object.hasOwn(s.names, config.dataset))!;
    for (const key of Object.keys(config.datasetOptions)) assert.ok(Object.keys(owned.options).map(camel).includes(key), `${config.dataset}: ${key} is no option's name`);
  }
  // What it loads is plain JSON.
  assert.deepEqual(JSON.parse(JSON.stringify(sourceFromConfig(csv))), sourceFromConfig(csv));
});

test('a run\'s params.json gives back its dataset options', async () => {
  const original = configFromArgs({ dataset: 'csv', csv: csvFile, 'label-column': 'c', 'drop-columns': 'x', impute: 'mean' });
  const params = path.join(dir, 'params.json');
  fs.writeFileSync(params, JSON.stringify({ runId: 'r', config: original }));
  const rerun = configFromArgs((await parseArgs(['--config', params], 'test'))!);
  assert.deepEqual(rerun.datasetOptions, original.datasetOptions);
  assert.equal(rerun.dataset, 'csv');
});

test('--help lists every --dataset name and each source\'s options under the names that own them', async () => {
  const help = await (pipelineOptions([], 'test').wrap(null) as unknown as { getHelp(): Promise<string> }).getHelp();
  const flat = help.replace(/\s+/g, ' ');
  for (const source of DATASET_SOURCES) {
    for (const [name, line] of Object.entries(source.names)) assert.ok(flat.includes(`${name} (${line})`), `--help lacks --dataset ${name}`);
    for (const [option, declared] of Object.entries(source.options)) {
      assert.ok(flat.includes(`--${option}`), `--help lacks --${option}`);
      assert.ok(flat.includes(`: ${declared.describe}`), `--help lacks the help of --${option}`);
    }
  }
  assert.match(flat, /--data-dir .*--dataset idx: folder with the four IDX files .*; --dataset images: folder with one subfolder of images per class/);
  assert.deepEqual([...DATASET_NAMES], ['embedded', 'mnist', 'fashion-mnist', 'kmnist', 'idx', 'csv', 'images']);
});

test('the README\'s Datasets table has a row for every source, naming its --dataset names and options', () => {
  const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Datasets'), readme.indexOf('\n## ', readme.indexOf('\n## Datasets') + 1));
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  for (const source of DATASET_SOURCES) {
    const names = Object.keys(source.names);
    const row = rows.find((line) => names.every((name) => line.split('|')[1].includes(`\`${name}`) || line.split('|')[1].includes(` ${name}\``)));
    assert.ok(row, `no row of the README's Datasets table names ${names.join(', ')}`);
    for (const option of Object.keys(source.options)) assert.ok(row.includes(`--${option}`), `the README's row for ${names.join(', ')} does not mention --${option}`);
  }
});

test('a params.json from before datasetOptions reruns with its dataset and options', async () => {
  const unset = { dataDir: '', unlabeledDir: '', testDir: '', imageSize: 0, channels: 0, csv: '', labelColumn: '', dropColumns: [], impute: 'none', download: false };
  const { datasetOptions: _, ...current } = configFromArgs({});
  const file = path.join(dir, 'old-params.json');
  fs.writeFileSync(file, JSON.stringify({ runId: 'old', config: { ...current, ...unset } }));
  const embedded = configFromArgs((await parseArgs(['--config', file], 'test'))!);
  assert.equal(embedded.dataset, 'embedded');
  assert.deepEqual(embedded.datasetOptions, {});
  fs.writeFileSync(file, JSON.stringify({ runId: 'old', config: { ...current, ...unset, dataset: 'images', dataDir: dir, channels: 3 } }));
  assert.deepEqual(configFromArgs((await parseArgs(['--config', file], 'test'))!).datasetOptions, { dataDir: dir, channels: 3 });
  assert.equal(describeDataset({ ...current, ...unset, dataset: 'images', dataDir: dir }), `the images in the class folders of ${path.basename(dir)}`);
});

test('the report describes the data by the source\'s words', () => {
  assert.match(describeDataset(configFromArgs({}))!, /10,000 MNIST training digits/);
  assert.match(describeDataset(configFromArgs({ dataset: 'csv', csv: csvFile, 'label-column': 'c' }))!, /^the CSV table table\.csv, classes from its column c$/);
  assert.match(describeDataset({ dataset: 'kmnist', datasetOptions: {} })!, /Kuzushiji/);
  assert.equal(describeDataset({ dataset: 'gone' }), undefined);
});
