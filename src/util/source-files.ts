/**
 * Where the TypeScript sources are, also when the compiled copy in build/ runs (`npm install`
 * compiles src/ and pipeline/ into build/, mirroring their layout, so that commands start
 * without a TypeScript loader). Files read beside the code (the compiled kernels.wasm) and the
 * sources hashed into cache keys are always the ones in the source tree: the same keys whether
 * the sources or their compiled copy ran.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder the compiled copy goes to, under the project folder. */
export const BUILD_FOLDER = 'build';

const here = fileURLToPath(import.meta.url);
const compiled = path.extname(here) === '.js';
/** This file is src/util/source-files.ts, or build/src/util/source-files.js in the compiled copy. */
export const PROJECT_ROOT = path.resolve(path.dirname(here), compiled ? '../../..' : '../..');

/** The TypeScript source of a module (its own file when it runs as TypeScript). */
export function sourceFileOf(moduleUrl: string): string {
  const file = fileURLToPath(moduleUrl);
  if (!compiled) return file;
  const relative = path.relative(path.join(PROJECT_ROOT, BUILD_FOLDER), file);
  return path.join(PROJECT_ROOT, relative.replace(/\.js$/, '.ts'));
}
