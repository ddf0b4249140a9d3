import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { chooseKernelBuild, fusedMultiplyAddAvailable, KERNEL_BUILD_ENV, kernelBuild } from '../src/backend/kernel-build.ts';
import { engineId } from '../src/backend/start-backend.ts';
import { loadNativeAddon, NATIVE_ADDON_PATH, NATIVE_KERNELS_ENV } from '../src/backend/native-kernels.ts';
import { UserError } from '../src/errors.ts';

// Both kernel builds run the fused dense step bit-identically to tfjs's taped step; they differ
// from each other (fused multiply-add rounds once), and the engine id, part of every cache key,
// says which one ran. Each build runs in a child process of its own (the build is chosen once).
const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'fused-equivalence.ts');

function runFixture(env: NodeJS.ProcessEnv): { build: string; engine: string; products: string; identical: boolean; digests: string[]; convDigests: string[]; convMaxError: number } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', FIXTURE], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

test('the baseline build is the default; relaxed runs only when asked for and available, else the baseline build is the fallback', () => {
  const never = () => assert.fail('availability is probed only when the relaxed build is asked for');
  assert.equal(chooseKernelBuild('', never), 'baseline');
  assert.equal(chooseKernelBuild('baseline', never), 'baseline');
  assert.equal(chooseKernelBuild('relaxed', () => true), 'relaxed');
  assert.equal(chooseKernelBuild('relaxed', () => false), 'baseline');
  assert.throws(() => chooseKernelBuild('fma', () => true), (error: Error) => error instanceof UserError && /SEMISUP_WASM_SIMD=fma: use baseline .* or relaxed/.test(error.message));
});

test('this process picks a build and names it in the engine id', () => {
  const build = kernelBuild();
  assert.equal(build, process.env[KERNEL_BUILD_ENV] === 'relaxed' && fusedMultiplyAddAvailable() ? 'relaxed' : 'baseline');
  assert.equal(engineId('wasm').endsWith('-fma'), build === 'relaxed');
  assert.ok(!engineId('cpu').includes('kernels'));
});

test(`by default the baseline build runs; ${KERNEL_BUILD_ENV}=relaxed runs the fused multiply-add where available; each build trains fused exactly as taped and convolves as cpu does`, () => {
  const baseline = runFixture({ [KERNEL_BUILD_ENV]: '' });
  assert.equal(baseline.build, 'baseline');
  assert.ok(!baseline.engine.endsWith('-fma'), baseline.engine);
  assert.equal(baseline.identical, true, 'baseline build: fused and taped weights differ');
  const relaxed = runFixture({ [KERNEL_BUILD_ENV]: 'relaxed' });
  assert.equal(relaxed.build, fusedMultiplyAddAvailable() ? 'relaxed' : 'baseline');
  assert.equal(relaxed.identical, true, `${relaxed.build} build: fused and taped weights differ`);
  // Sums of 144 terms of size ≤ 1 (the filter gradient: 50): float32 error far below 1e-4.
  for (const run of [baseline, relaxed]) assert.ok(run.convMaxError < 1e-4, `${run.build} build: convolutions differ from cpu by ${run.convMaxError}`);
  if (relaxed.build === 'relaxed') {
    assert.ok(relaxed.engine.endsWith('-fma'));
    assert.notDeepEqual(relaxed.digests, baseline.digests, 'the fused multiply-add changes the last bits');
  } else {
    assert.deepEqual(relaxed.digests, baseline.digests, 'the fallback is the baseline build');
  }
});

test(`the native kernels (${NATIVE_KERNELS_ENV}) train and convolve with exactly the wasm kernels' bits, and which ran is said`, (t) => {
  const { why } = loadNativeAddon(NATIVE_ADDON_PATH);
  if (why !== '') return t.skip(`the native addon cannot run here: ${why}`);
  const native = runFixture({ [KERNEL_BUILD_ENV]: '', [NATIVE_KERNELS_ENV]: 'on' });
  const wasm = runFixture({ [KERNEL_BUILD_ENV]: '', [NATIVE_KERNELS_ENV]: 'off' });
  assert.match(native.products, /^native (AVX-512|AVX2)$/);
  assert.match(wasm.products, /^wasm SIMD \(SEMISUP_NATIVE_KERNELS=off\)$/);
  assert.equal(native.identical, true, 'native: fused and taped weights differ');
  assert.deepEqual(native.digests, wasm.digests, 'the native products change the trained weights');
  assert.deepEqual(native.convDigests, wasm.convDigests, 'the native products change the convolutions');
  assert.equal(native.engine, wasm.engine, 'the same bits, so the same cache keys');
});
