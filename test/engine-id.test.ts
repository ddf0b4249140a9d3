import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { engineId } from '../src/backend/start-backend.ts';
import { contentVersion, WASM_ENGINE_SOURCES, wasmKernelsVersion } from '../src/backend/wasm-kernels-version.ts';
import { tempFolder } from './fixtures/cli.ts';

test('the wasm engine id carries a content hash of the kernel sources; other backends do not', () => {
  const version = wasmKernelsVersion();
  assert.match(version, /^[0-9a-f]{12}$/);
  assert.match(engineId('wasm'), new RegExp(`/kernels-${version}(-fma)?$`));
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

/** Relative modules a source file imports for their values (not `import type`), as absolute paths. */
function valueImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^import\s+(?!type\s)[^'"]*?from\s+'(\.[^']+)'/gm)].map((m) => path.resolve(path.dirname(file), m[1]));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

test('the wasm engine hash covers every compiled kernel build and every module that runs our kernels, with what it runs of src/train and src/backend', () => {
  const backendDir = fileURLToPath(new URL('../src/backend/', import.meta.url));
  const src = path.resolve(backendDir, '..');
  const listed = new Set(WASM_ENGINE_SOURCES.map((source) => path.resolve(backendDir, path.extname(source) ? source : `${source}.ts`)));
  const missing: string[] = [];
  for (const name of readdirSync(path.join(backendDir, 'assembly')).filter((n) => n.endsWith('.wasm'))) {
    if (!listed.has(path.join(backendDir, 'assembly', name))) missing.push(`assembly/${name}`);
  }
  // Modules that call our kernels (the benchmarks only measure them), then what those run from src/train and src/backend.
  const kernels = path.join(backendDir, 'simd-kernels.ts');
  const pending = sourceFiles(src).filter((file) => !file.startsWith(path.join(src, 'bench')) && valueImports(file).includes(kernels));
  const seen = new Set<string>([kernels]);
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const dependency of valueImports(file)) {
      if (dependency.startsWith(path.join(src, 'train')) || dependency.startsWith(backendDir)) pending.push(dependency);
    }
  }
  for (const file of seen) if (!listed.has(file)) missing.push(path.relative(src, file));
  assert.deepEqual(missing, [], `add these to WASM_ENGINE_SOURCES (src/backend/wasm-kernels-version.ts): ${missing.join(', ')}`);
  assert.ok(seen.size >= 5, `found ${[...seen].join(', ')}`);
});
