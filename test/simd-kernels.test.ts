import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KERNELS_WASM_PATH } from '../src/backend/simd-kernels.ts';

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

test('the committed kernels.wasm is what `npm run build:kernels` makes of the AssemblyScript source', () => {
  const script = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts['build:kernels'] as string;
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'semisup-kernels-')), 'kernels.wasm');
  const args = script.split(/\s+/).slice(1).map((a) => (a === 'src/backend/assembly/kernels.wasm' ? out : a));
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'asc'), args, { cwd: ROOT, stdio: 'pipe' });
  assert.ok(fs.readFileSync(out).equals(fs.readFileSync(KERNELS_WASM_PATH)), 'kernels.wasm is stale: run `npm run build:kernels` and commit it');
});

test('the kernels module imports only the backend memory and writes nothing into it on load', () => {
  const bytes = fs.readFileSync(KERNELS_WASM_PATH);
  const module = new WebAssembly.Module(bytes);
  assert.deepEqual(WebAssembly.Module.imports(module), [{ module: 'env', name: 'memory', kind: 'memory' }]);
  const functions = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name).sort();
  assert.deepEqual(functions, ['adam', 'col2im', 'gemm', 'gemmSparseA', 'im2col', 'sigmoidCrossEntropy', 'sumRows', 'transpose']);
  // No data segment (11) and no start function (8): instantiating must not touch tfjs's heap.
  const ids = sectionIds(bytes);
  assert.ok(ids.includes(10), 'a code section exists (the parser read the sections)');
  assert.ok(!ids.includes(11) && !ids.includes(8), `sections ${ids}`);
});
