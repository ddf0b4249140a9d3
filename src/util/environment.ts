/** What machine and software a run ran on, for params.json and the report. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageVersions } from '../backend/start-backend.ts';

export interface EnvironmentInfo {
  /** The tfjs backend that ran: 'tensorflow' (native), 'wasm' or 'cpu'. */
  backend: string;
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
  let gitCommit: string | undefined;
  try {
    const here = path.dirname(fileURLToPath(import.meta.url));
    gitCommit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: here, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    gitCommit = undefined; // not a git checkout (e.g. an unpacked release)
  }
  const cpus = os.cpus();
  return {
    backend,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    versions: packageVersions(),
    ...(gitCommit ? { gitCommit } : {}),
  };
}
