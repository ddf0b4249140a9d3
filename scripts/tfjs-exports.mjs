/**
 * Writes src/backend/tfjs.mjs: every name '@tensorflow/tfjs' exports, as static ES module exports of the
 * package loaded with require(). package.json's "imports" maps `#tfjs` to that file at run time (types
 * still come from the package itself). Why: Node imports a CommonJS package into an ES module only after
 * scanning its source and every package it re-exports for export names, and for tfjs (core, layers,
 * converter, data, two backends) that scan costs about 0.25 s, paid by every process that trains. A test
 * (test/tfjs-exports.test.ts, through `--check`) checks the list against the installed tfjs; after
 * upgrading tfjs, run `node scripts/tfjs-exports.mjs`.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const TFJS_EXPORTS_FILE = path.join(ROOT, 'src', 'backend', 'tfjs.mjs');

/** The file's text for the installed tfjs. */
export function tfjsExportsModule() {
  const require = createRequire(path.join(ROOT, 'package.json'));
  const tfjs = require('@tensorflow/tfjs');
  const version = require('@tensorflow/tfjs/package.json').version;
  const names = Object.keys(tfjs).filter((name) => name !== 'default' && name !== '__esModule').sort();
  return [
    `// Written by scripts/tfjs-exports.mjs for @tensorflow/tfjs ${version}: do not edit; see that script for why.`,
    "import { createRequire } from 'node:module';",
    '',
    "const tfjs = createRequire(import.meta.url)('@tensorflow/tfjs');",
    '',
    `export const {\n${names.map((name) => `  ${name},`).join('\n')}\n} = tfjs;`,
    '',
  ].join('\n');
}

// `--check`: exit 1, saying so, when the file is not what the installed tfjs needs.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const wanted = tfjsExportsModule();
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(TFJS_EXPORTS_FILE) ? fs.readFileSync(TFJS_EXPORTS_FILE, 'utf8') : '';
    if (current !== wanted) {
      console.error(`${path.relative(ROOT, TFJS_EXPORTS_FILE)} does not list the installed tfjs's exports: run node scripts/tfjs-exports.mjs`);
      process.exit(1);
    }
  } else {
    fs.writeFileSync(TFJS_EXPORTS_FILE, wanted);
    console.log(`wrote ${path.relative(process.cwd(), TFJS_EXPORTS_FILE)}`);
  }
}
