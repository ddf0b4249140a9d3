/**
 * Peak resident memory of a command and every process it starts (the pipeline's worker processes),
 * each on its own: the kernel's high-water mark (VmHWM in /proc/<pid>/status), read every few tens
 * of milliseconds while the command runs. Linux only; elsewhere nothing is measured.
 */
import fs from 'node:fs';

export interface ProcessPeak {
  pid: number;
  /** The process's command line, shortened ("…/pipeline/worker.js --cache-dir …"). */
  command: string;
  peakMb: number;
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // the process has just ended
  }
}

/** A process's threads; none once it has ended (which it may do between any two reads). */
function tasksOf(pid: number): string[] {
  try {
    return fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
}

/** The pid and all its descendants, from /proc/<pid>/task/<tid>/children. */
function processTree(pid: number): number[] {
  const found = [pid];
  for (let i = 0; i < found.length; i++) {
    const tasks = tasksOf(found[i]);
    for (const task of tasks) {
      for (const child of (read(`/proc/${found[i]}/task/${task}/children`) ?? '').split(' ').filter(Boolean)) found.push(Number(child));
    }
  }
  return found;
}

/** A command line as a person reads it: project paths from pipeline/ or scripts/ on, at most 80 characters. */
function shortCommand(cmdline: string): string {
  const command = cmdline.split('\0').filter(Boolean).map((arg) => arg.replace(/^.*\/(pipeline|scripts)\//, '$1/')).join(' ');
  return command.length > 80 ? `${command.slice(0, 79)}…` : command;
}

/** Start watching `pid` and its descendants; stop() returns each process's peak, largest first. */
export function watchPeakMemory(pid: number, everyMs = 25): { stop(): ProcessPeak[] } {
  const peaks = new Map<number, ProcessPeak>();
  const poll = () => {
    if (process.platform !== 'linux') return;
    for (const p of processTree(pid)) {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(read(`/proc/${p}/status`) ?? '');
      if (!hwm) continue;
      // Read each time: a child starts as a copy of its parent (with its command line) until it runs its own program.
      const cmdline = read(`/proc/${p}/cmdline`);
      const command = cmdline === undefined ? peaks.get(p)?.command ?? '' : shortCommand(cmdline);
      const peakMb = Math.max(peaks.get(p)?.peakMb ?? 0, Number(hwm[1]) / 1024);
      peaks.set(p, { pid: p, command, peakMb });
    }
  };
  const timer = setInterval(poll, everyMs);
  poll();
  return {
    stop: () => {
      clearInterval(timer);
      return [...peaks.values()].sort((a, b) => b.peakMb - a.peakMb);
    },
  };
}
