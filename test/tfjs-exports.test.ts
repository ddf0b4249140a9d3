/**
 * `#tfjs` (package.json "imports") is src/backend/tfjs.mjs at run time: tfjs loaded with require() and
 * its exports listed statically, so Node does not scan tfjs's sources on every start (scripts/tfjs-exports.mjs).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import * as tf from '#tfjs';
import { PROJECT_ROOT, tempFolder } from './fixtures/cli.ts';

test('#tfjs lists every export of the installed tfjs, and is the very tfjs require() loads', () => {
  const check = spawnSync(process.execPath, ['scripts/tfjs-exports.mjs', '--check'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
  const required = createRequire(import.meta.url)('@tensorflow/tfjs') as typeof tf;
  assert.equal(createRequire(import.meta.url)('#tfjs'), required, 'required, #tfjs is the package itself');
  assert.equal(tf.tidy, required.tidy);
  assert.equal(tf.layers, required.layers);
  assert.equal(tf.engine(), required.engine(), 'one engine: backends registered through either are the same');
});

test('the check fails, naming the fix, when the list does not match the installed tfjs', () => {
  // A copy of the project's layout whose list is out of date (as after upgrading tfjs).
  const root = tempFolder('tfjs-exports');
  fs.mkdirSync(path.join(root, 'scripts'));
  fs.mkdirSync(path.join(root, 'src', 'backend'), { recursive: true });
  fs.copyFileSync(path.join(PROJECT_ROOT, 'scripts', 'tfjs-exports.mjs'), path.join(root, 'scripts', 'tfjs-exports.mjs'));
  fs.copyFileSync(path.join(PROJECT_ROOT, 'package.json'), path.join(root, 'package.json'));
  fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'));
  fs.writeFileSync(path.join(root, 'src', 'backend', 'tfjs.mjs'), 'export const { tidy } = {};\n');
  try {
    const check = spawnSync(process.execPath, ['scripts/tfjs-exports.mjs', '--check'], { cwd: root, encoding: 'utf8' });
    assert.equal(check.status, 1);
    assert.match(check.stderr, /^src\/backend\/tfjs\.mjs does not list the installed tfjs's exports: run node scripts\/tfjs-exports\.mjs\n$/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
