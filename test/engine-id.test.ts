import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { engineId } from '../src/backend/start-backend.ts';
import { contentVersion, wasmKernelsVersion } from '../src/backend/wasm-kernels-version.ts';
import { tempFolder } from './fixtures/cli.ts';

test('the wasm engine id carries a content hash of the kernel sources; other backends do not', () => {
  const version = wasmKernelsVersion();
  assert.match(version, /^[0-9a-f]{12}$/);
  assert.ok(engineId('wasm').endsWith(`/kernels-${version}`));
  assert.ok(!engineId('cpu').includes('kernels'));
});

test('a content version changes when any source changes, and only then', () => {
  const dir = tempFolder('content-version');
  const files = ['a.ts', 'b.wasm'].map((name) => path.join(dir, name));
  writeFileSync(files[0], 'export const x = 1;\n');
  writeFileSync(files[1], Buffer.from([0, 97, 115, 109]));
  const before = contentVersion(files);
  assert.equal(contentVersion(files), before);
  writeFileSync(files[1], Buffer.from([0, 97, 115, 110]));
  assert.notEqual(contentVersion(files), before);
});
