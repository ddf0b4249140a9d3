import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KERNELS_WASM_PATHS } from '../src/backend/simd-kernels.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Section ids of a wasm binary, in order (after the 8-byte header: id byte, LEB128 size, payload). */
function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let at = 8;
  while (at < bytes.length) {
    ids.push(bytes[at++]);
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++];
      size |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
    }
    at += size;
  }
  return ids;
}

test('the committed kernels.wasm and kernels-relaxed.wasm are what `npm run build:kernels` makes of the AssemblyScript source', () => {
  const script = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts['build:kernels'] as string;
  const commands = script.split('&&').map((c) => c.trim().split(/\s+/));
  assert.equal(commands.length, 2);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'semisup-kernels-'));
  for (const [asc, ...args] of commands) {
    assert.equal(asc, 'asc');
    const target = args[args.indexOf('-o') + 1];
    const out = path.join(dir, path.basename(target));
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'asc'), args.map((a) => (a === target ? out : a)), { cwd: ROOT, stdio: 'pipe' });
    assert.ok(fs.readFileSync(out).equals(fs.readFileSync(path.join(ROOT, target))), `${target} is stale: run \`npm run build:kernels\` and commit it`);
  }
  assert.deepEqual(commands.map((c) => path.resolve(ROOT, c[c.indexOf('-o') + 1])).sort(), Object.values(KERNELS_WASM_PATHS).sort());
});

test('each kernels module imports only the backend memory and writes nothing into it on load', async () => {
  // Validating the relaxed build needs relaxed SIMD, which the probe turns on where it can.
  const { fusedMultiplyAddAvailable } = await import('../src/backend/kernel-build.ts');
  const builds = fusedMultiplyAddAvailable() ? (['baseline', 'relaxed'] as const) : (['baseline'] as const);
  for (const build of builds) {
    const bytes = fs.readFileSync(KERNELS_WASM_PATHS[build]);
    const module = new WebAssembly.Module(bytes);
    assert.deepEqual(WebAssembly.Module.imports(module), [{ module: 'env', name: 'memory', kind: 'memory' }]);
    const functions = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name).sort();
    assert.deepEqual(functions, ['adam', 'binary', 'col2im', 'gemm', 'gemmSparseA', 'im2col', 'maskPairs', 'sigmoidCrossEntropy', 'step', 'sumRows', 'transpose', 'unitBytes']);
    // No data segment (11) and no start function (8): instantiating must not touch tfjs's heap.
    const ids = sectionIds(bytes);
    assert.ok(ids.includes(10), 'a code section exists (the parser read the sections)');
    assert.ok(!ids.includes(11) && !ids.includes(8), `${build}: sections ${ids}`);
  }
});

test('maskPairs masks exactly what applyMaskingNoise masks, for the same draws (odd lengths and SIMD leftovers too)', async () => {
  const tf = await import('#tfjs');
  const { initWasmBackend } = await import('../src/backend/wasm-kernels.ts');
  const { simdKernelsFor } = await import('../src/backend/simd-kernels.ts');
  const { applyMaskingNoise, drawMaskingWords, maskingThreshold } = await import('../src/train/batches.ts');
  const { createRng } = await import('../src/util/rng.ts');
  tf.enableProdMode();
  await initWasmBackend();
  const kernels = simdKernelsFor(tf.backend() as never)!;
  for (const n of [1, 7, 8, 9, 1001, 4096]) {
    for (const rate of [0.3, 0.5]) {
      const source = createRng(n);
      const values = Float32Array.from({ length: n }, (_, i) => (i % 5 === 4 ? 0 : 0.5 + source.next()));
      const expected = values.slice();
      applyMaskingNoise(expected, rate, createRng(42));
      const x = tf.tensor1d(values);
      const words = tf.zeros([Math.ceil(n / 2)], 'int32');
      drawMaskingWords(n, createRng(42), new Int32Array(kernels.heapBytes().buffer, kernels.heapOffset(words), Math.ceil(n / 2)));
      kernels.exports.maskPairs(kernels.heapOffset(x), kernels.heapOffset(words), n, maskingThreshold(rate));
      const actual = x.dataSync() as Float32Array;
      assert.deepEqual(Array.from(new Uint32Array(actual.buffer)), Array.from(new Uint32Array(expected.buffer)), `n=${n} rate=${rate}`);
      if (n > 8) assert.ok(expected.some((v, i) => v !== values[i]), 'some values were masked');
      tf.dispose([x, words]);
    }
  }
});

test('unitBytes turns every byte into the float32 training reads for it (BYTE_VALUE), at every length', async () => {
  const tf = await import('#tfjs');
  const { initWasmBackend } = await import('../src/backend/wasm-kernels.ts');
  const { simdKernelsFor } = await import('../src/backend/simd-kernels.ts');
  const { BYTE_VALUE } = await import('../src/data/dataset.ts');
  tf.enableProdMode();
  await initWasmBackend();
  const kernels = simdKernelsFor(tf.backend() as never)!;
  for (const n of [256, 1, 15, 17, 300]) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (n === 256 ? i : (i * 97 + 13) % 256));
    const staging = tf.zeros([Math.ceil(n / 4)]);
    const out = tf.zeros([n]);
    kernels.heapBytes().set(bytes, kernels.heapOffset(staging));
    kernels.exports.unitBytes(kernels.heapOffset(staging), kernels.heapOffset(out), n);
    const actual = out.dataSync() as Float32Array;
    assert.deepEqual(Array.from(actual), Array.from(bytes, (b) => BYTE_VALUE[b]), `n=${n}`);
    tf.dispose([staging, out]);
  }
});
