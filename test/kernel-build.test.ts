import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { KERNEL_BUILD_ENV, kernelBuild } from '../src/backend/kernel-build.ts';
import { engineId } from '../src/backend/start-backend.ts';

// Both kernel builds run the fused dense step bit-identically to tfjs's taped step; they differ
// from each other (fused multiply-add rounds once), and the engine id, part of every cache key,
// says which one ran. Each build runs in a child process of its own (the build is chosen once).
const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'fused-equivalence.ts');

function runFixture(env: NodeJS.ProcessEnv): { build: string; engine: string; identical: boolean; digests: string[] } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', FIXTURE], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

test('this process picks a build and names it in the engine id', () => {
  const build = kernelBuild();
  assert.ok(build === 'relaxed' || build === 'baseline');
  assert.equal(engineId('wasm').endsWith('-fma'), build === 'relaxed');
  assert.ok(!engineId('cpu').includes('kernels'));
});

test(`${KERNEL_BUILD_ENV}=baseline forces the baseline build; each build trains fused exactly as taped`, () => {
  const baseline = runFixture({ [KERNEL_BUILD_ENV]: 'baseline' });
  assert.equal(baseline.build, 'baseline');
  assert.ok(!baseline.engine.endsWith('-fma'), baseline.engine);
  assert.equal(baseline.identical, true, 'baseline build: fused and taped weights differ');
  const chosen = runFixture({ [KERNEL_BUILD_ENV]: '' });
  assert.equal(chosen.build, kernelBuild(), 'a child process picks the same build as this one');
  assert.equal(chosen.identical, true, `${chosen.build} build: fused and taped weights differ`);
  if (chosen.build === 'relaxed') {
    assert.ok(chosen.engine.endsWith('-fma'));
    assert.notDeepEqual(chosen.digests, baseline.digests, 'the fused multiply-add changes the last bits');
  }
});
