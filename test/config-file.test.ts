import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CONFIG_OPTIONS, configFromArgs, parseArgs, pipelineOptions } from '../src/cli.ts';
import { DEFAULT_CONFIG, type PipelineConfig } from '../src/config.ts';
import { optionKeys } from '../src/config-file.ts';
import { UserError } from '../src/errors.ts';
import { tempFolder } from './fixtures/cli.ts';

const dir = tempFolder('config');
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const configOf = async (argv: string[]): Promise<PipelineConfig> => configFromArgs((await parseArgs(argv, 'test'))!);

async function rejectsWith(argv: string[], problem: RegExp): Promise<void> {
  await assert.rejects(configOf(argv), (error: unknown) => {
    assert.ok(error instanceof UserError, String((error as Error)?.stack ?? error));
    assert.match(error.message, problem);
    assert.ok(!error.message.includes('\n'));
    return true;
  });
}

test('a YAML config sets options by their names or config fields; the command line overrides it', async () => {
  const file = write('run.yaml', [
    '# my usual run',
    'labels-per-class: [2, 5]',
    'seeds: 4',
    'finetuneEpochs: 7',
    'arms: pretrained,frozen',
    'encoder-lr-factor: 0.5',
    'quiet: true',
  ].join('\n'));
  const fromFile = await configOf(['--config', file]);
  assert.deepEqual(fromFile.labelsPerClass, [2, 5]);
  assert.deepEqual(fromFile.labeled, []);
  assert.deepEqual(fromFile.seeds, [1, 2, 3, 4]);
  assert.equal(fromFile.finetuneEpochs, 7);
  assert.deepEqual(fromFile.arms, ['pretrained', 'frozen']);
  assert.equal(fromFile.encoderLearningRateFactor, 0.5);
  assert.equal(fromFile.quiet, true);
  const overridden = await configOf(['--config', file, '--finetune-epochs', '9', '--labeled', '0.1', '--no-quiet']);
  assert.equal(overridden.finetuneEpochs, 9);
  // --labeled on the command line replaces the file's labels-per-class instead of clashing with it.
  assert.deepEqual([overridden.labeled, overridden.labelsPerClass], [[0.1], []]);
  assert.equal(overridden.quiet, false);
  assert.deepEqual(overridden.seeds, [1, 2, 3, 4]);
});

test('a JSON config works the same; a preset in it sits under the file\'s own options', async () => {
  const file = write('run.json', JSON.stringify({ preset: 'quick', 'finetune-epochs': 3, seeds: [7] }));
  const config = await configOf(['--config', file]);
  assert.equal(config.finetuneEpochs, 3, 'the file overrides its preset');
  assert.equal(config.pretrainEpochs, 4, 'the rest comes from the preset');
  assert.deepEqual(config.seeds, [7], 'a one-seed list stays one seed');
  assert.equal((await configOf(['--config', file, '--quick', '--finetune-epochs', '5'])).finetuneEpochs, 5);
  assert.deepEqual((await configOf(['--config', write('mixed.yaml', 'labeled: [0.5, all]\n')])).labeled, [0.5, 1]);
});

test('a run\'s params.json is a config: it reproduces the run\'s config, except for its report folder', async () => {
  const original: PipelineConfig = { ...DEFAULT_CONFIG, labeled: [], labelsPerClass: [10], seeds: [5], hidden: 32, arms: ['pretrained', 'pca'], pseudoRamp: [0.2, 0.5], out: path.join(dir, 'old-run'), exportArm: 'pca' };
  const params = write('params.json', JSON.stringify({ runId: 'r', createdAt: new Date(0).toISOString(), config: original, environment: {}, dataset: {}, stageSeconds: {}, totalSeconds: 1 }));
  const rerun = await configOf(['--config', params]);
  assert.deepEqual(rerun, { ...original, out: '' });
});

test('per-arm settings are written as YAML structure in a config file and read back from a params.json', async () => {
  const file = write('arms.yaml', [
    'arms: pretrained,two-phase',
    'armSettings:',
    '  - arm: pretrained',
    '    budget: 10 per class',
    '    settings: { learningRate: 0.0005, finetuneEpochs: 300 }',
    '  - arm: two-phase',
    '    settings: { headEpochShare: 0.25 }',
  ].join('\n'));
  const config = await configOf(['--config', file]);
  assert.deepEqual(config.armSettings, [
    { arm: 'pretrained', budget: '10 per class', settings: { learningRate: 0.0005, finetuneEpochs: 300 } },
    { arm: 'two-phase', settings: { headEpochShare: 0.25 } },
  ]);
  const params = write('arms-params.json', JSON.stringify({ runId: 'r', createdAt: new Date(0).toISOString(), config: { ...DEFAULT_CONFIG, arms: ['pretrained', 'two-phase'], armSettings: config.armSettings }, environment: {}, dataset: {}, stageSeconds: {}, totalSeconds: 1 }));
  assert.deepEqual((await configOf(['--config', params])).armSettings, config.armSettings);
  await rejectsWith(['--config', write('arms-bad.yaml', 'armSettings:\n  - arm: two-phase\n    settings: { headEpochShare: 2 }\n')], /^--arm-settings for two-phase: --head-epoch-share 2/);
});

test('unknown keys are named, all of them; wrong kinds and bad files are one line each', async () => {
  await rejectsWith(['--config', write('typos.yaml', 'seeds: 2\nfinetune-epoch: 5\nlabled: 0.1\n')], /--config \S*typos\.yaml: unknown keys "finetune-epoch", "labled": use option names as --help lists them/);
  await rejectsWith(['--config', write('nested.yaml', 'seeds:\n  count: 2\n')], /"seeds" has a value of the wrong kind/);
  await rejectsWith(['--config', write('switch.yaml', 'quiet: often\n')], /"quiet" is a switch: give true or false/);
  await rejectsWith(['--config', write('twice.yaml', 'finetune-epochs: 5\nfinetuneEpochs: 6\n')], /"finetuneEpochs" sets --finetune-epochs a second time/);
  await rejectsWith(['--config', write('broken.yaml', 'seeds: [1, 2\n')], /is neither valid YAML nor JSON/);
  await rejectsWith(['--config', write('list.yaml', '- 1\n- 2\n')], /holds no options/);
  await rejectsWith(['--config', path.join(dir, 'absent.yaml')], /cannot be read \(ENOENT\)/);
  // A value the option itself refuses is refused as on the command line.
  await rejectsWith(['--config', write('bad-value.yaml', 'labeled: [0.1, 2]\n')], /--labeled 2 is not a fraction in \(0, 1\]/);
});

test('every config field can be read back from a config file (params.json reruns any run)', () => {
  const parser = pipelineOptions([], 'test') as unknown as { getOptions(): { key: Record<string, unknown>; boolean: string[] } };
  const defined = parser.getOptions();
  const keys = optionKeys({ names: Object.keys(defined.key), booleans: defined.boolean, fields: CONFIG_OPTIONS });
  const missing = Object.keys(DEFAULT_CONFIG).filter((field) => !keys.has(field));
  assert.deepEqual(missing, []);
});
