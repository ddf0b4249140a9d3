/** What machine and software a run ran on, for params.json and the report. */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { matrixProductsOf, packageVersions } from '../backend/start-backend.ts';
import { gitCommit } from './git-commit.ts';

export interface EnvironmentInfo {
  /** The tfjs backend that ran: 'tensorflow' (native), 'wasm' or 'cpu'. */
  backend: string;
  /** On wasm, what ran the matrix products and the other native kernels: 'native AVX-512', or the wasm kernels and why (the same bits either way). */
  matrixProducts?: string;
  node: string;
  platform: string;
  cpuModel: string;
  cores: number;
  /** Versions of the packages that shape the numbers (tfjs, backend, danfojs, semisup). */
  versions: Record<string, string>;
  gitCommit?: string;
}

/** Node, platform, CPU, package versions and (in a git checkout) the commit. */
export function describeEnvironment(backend: string): EnvironmentInfo {
  // Not in a git checkout (an unpacked release), there is none.
  const commit = gitCommit(path.dirname(fileURLToPath(import.meta.url)));
  const cpus = os.cpus();
  const matrixProducts = matrixProductsOf(backend);
  return {
    backend,
    ...(matrixProducts ? { matrixProducts } : {}),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    versions: packageVersions(),
    ...(commit ? { gitCommit: commit } : {}),
  };
}
