/**
 * What machine a bench ran on — CPU, cores, load, Node and backend package
 * versions — so numbers from different runs can be told apart and compared.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { packageVersions } from '../backend/start-backend.ts';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  platform: string;
  node: string;
  versions: Record<string, string>;
  /** 1, 5 and 15 minute load averages when the bench started: other processes slow the numbers down. */
  loadAverage: number[];
  gitCommit?: string;
}

/** The running machine's description for the bench's JSON. */
export function machineInfo(cwd: string): MachineInfo {
  const cpus = os.cpus();
  let gitCommit: string | undefined;
  try {
    gitCommit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    gitCommit = undefined; // not a git checkout
  }
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
    versions: packageVersions(),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    ...(gitCommit ? { gitCommit } : {}),
  };
}

/** Peak resident memory of this process so far, in MB (Node reports maxRSS in KB). */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}
