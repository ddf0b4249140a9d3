/**
 * Showing download progress: a cli-progress bar on a terminal, a few plain lines elsewhere (CI logs).
 */
import cliProgress from 'cli-progress';
import { basename } from 'node:path';
import type { DownloadProgress } from './download.ts';

/** An onProgress callback for downloadFile/ensureNamedDataset that draws a bar on a TTY and prints quartiles otherwise. */
export function createDownloadProgress(stream: NodeJS.WriteStream = process.stderr): (progress: DownloadProgress) => void {
  let bar: cliProgress.SingleBar | undefined;
  let currentFile: string | undefined;
  let lastQuarter = -1;
  return (p) => {
    const name = basename(p.file);
    if (stream.isTTY) {
      if (currentFile !== p.file) {
        bar?.stop();
        currentFile = p.file;
        bar = new cliProgress.SingleBar(
          { stream, format: `${name} [{bar}] {percentage}% | {value}/{total} bytes | ETA {eta}s`, hideCursor: null },
          cliProgress.Presets.legacy,
        );
        bar.start(p.total ?? 0, 0);
      }
      if (p.total === undefined) bar?.setTotal(Math.max(p.received, 1));
      bar?.update(p.received);
      if (p.done) {
        bar?.stop();
        bar = undefined;
        currentFile = undefined;
      }
      return;
    }
    if (currentFile !== p.file) {
      currentFile = p.file;
      lastQuarter = -1;
      stream.write(`downloading ${name} from ${p.url}\n`);
    }
    if (p.total) {
      const quarter = Math.floor((4 * p.received) / p.total);
      if (quarter > lastQuarter && quarter < 4) {
        lastQuarter = quarter;
        if (quarter > 0) stream.write(`  ${name}: ${quarter * 25}% (${p.received} of ${p.total} bytes)\n`);
      }
    }
    if (p.done) {
      stream.write(p.failed ? `  ${name}: failed after ${p.received} bytes\n` : `  ${name}: done (${p.received} bytes)\n`);
      currentFile = undefined;
    }
  };
}
