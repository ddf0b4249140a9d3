/**
 * Content-addressed stage outputs under data/<stage>/<key>/. An entry is a
 * folder of files plus a manifest of their sizes and hashes, written in a
 * temporary folder and renamed into place, so a crashed or killed job leaves
 * nothing a later run would trust, and a corrupt entry is detected and redone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileDigest, sha256 } from './hash.ts';
import { temporarySibling } from './atomic.ts';
import { removeStaleTemporaries } from './stale.ts';
import { withPath } from '../util/folders.ts';

const MANIFEST = 'manifest.json';

interface Manifest {
  stage: string;
  key: string;
  createdAt: string;
  files: Record<string, { bytes: number; sha256: string }>;
}

export type EntryFiles = Record<string, string | Uint8Array>;

export type EntryCheck = { ok: true } | { ok: false; reason: string };

export class ArtifactStore {
  constructor(readonly root: string) {}

  /** Folder of an entry (whether or not it exists). */
  entryDir(stage: string, key: string): string {
    return path.join(this.root, stage, key);
  }

  /** Whether an entry exists and every file matches its manifest; a missing entry is not ok with reason 'missing'. */
  check(stage: string, key: string): EntryCheck {
    const dir = this.entryDir(stage, key);
    if (!fs.existsSync(dir)) return { ok: false, reason: 'missing' };
    let manifest: Manifest;
    try {
      manifest = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest;
    } catch {
      return { ok: false, reason: 'manifest missing or not valid JSON' };
    }
    if (!manifest.files || Object.keys(manifest.files).length === 0) return { ok: false, reason: 'manifest lists no files' };
    for (const [name, expected] of Object.entries(manifest.files)) {
      const file = path.join(dir, name);
      if (!fs.existsSync(file)) return { ok: false, reason: `${name} missing` };
      const actual = fileDigest(file);
      if (actual.bytes !== expected.bytes) return { ok: false, reason: `${name} is ${actual.bytes} bytes, expected ${expected.bytes}` };
      if (actual.sha256 !== expected.sha256) return { ok: false, reason: `${name} does not match its hash` };
    }
    return { ok: true };
  }

  /** Read one file of a verified entry. */
  read(stage: string, key: string, name: string): Buffer {
    return fs.readFileSync(path.join(this.entryDir(stage, key), name));
  }

  readJson<T>(stage: string, key: string, name: string): T {
    return JSON.parse(this.read(stage, key, name).toString('utf8')) as T;
  }

  /**
   * Write an entry atomically. If another process finished the same entry
   * first, its copy is kept (same key ⇒ same content) — unless `replace`
   * (--force), which swaps the new entry in; until then the old one stays valid.
   */
  write(stage: string, key: string, files: EntryFiles, options: { replace?: boolean } = {}): void {
    const target = this.entryDir(stage, key);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const tmp = temporarySibling(target);
    fs.mkdirSync(tmp);
    try {
      const manifest: Manifest = { stage, key, createdAt: new Date().toISOString(), files: {} };
      for (const [name, content] of Object.entries(files)) {
        const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
        fs.writeFileSync(path.join(tmp, name), data);
        manifest.files[name] = { bytes: data.length, sha256: sha256(data) };
      }
      fs.writeFileSync(path.join(tmp, MANIFEST), JSON.stringify(manifest, null, 2));
      let old: string | undefined;
      if (fs.existsSync(target)) {
        // A corrupt entry being replaced, or a concurrent writer that won: keep a valid one unless asked to replace it.
        if (!options.replace && this.check(stage, key).ok) return;
        old = temporarySibling(target);
        fs.renameSync(target, old);
      }
      try {
        fs.renameSync(tmp, target);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if ((code === 'ENOTEMPTY' || code === 'EEXIST') && this.check(stage, key).ok) return;
        throw error;
      } finally {
        // Deleted only once the new entry is in place: another run (on a shared cache, another machine's)
        // reading the entry meanwhile finds it missing for the moment between two renames, not for a deletion.
        if (old) fs.rmSync(old, { recursive: true, force: true });
      }
    } catch (error) {
      throw withPath(error, tmp);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** Remove an entry (used when it is corrupt or forced to rerun). */
  remove(stage: string, key: string): void {
    fs.rmSync(this.entryDir(stage, key), { recursive: true, force: true });
  }

  /**
   * Remove what killed processes left mid-write: temporaries in the stage
   * folders, the dataset cache and the download folders whose process is
   * gone (stale.ts). Returns the removed paths.
   */
  removeStaleTemporaries(): string[] {
    const subfolders = (dir: string): string[] => {
      try {
        return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.tmp-')).map((e) => path.join(dir, e.name));
      } catch {
        return [];
      }
    };
    return removeStaleTemporaries([...subfolders(this.root), ...subfolders(path.join(this.root, 'datasets'))]);
  }

  /** Every entry with its manifest time, for cleaning. Leftover temporary folders are reported too. */
  list(): { stage: string; key: string; dir: string; createdAt: Date | undefined; temporary: boolean }[] {
    if (!fs.existsSync(this.root)) return [];
    const entries = [];
    for (const stage of fs.readdirSync(this.root)) {
      const stageDir = path.join(this.root, stage);
      if (!fs.statSync(stageDir).isDirectory()) continue;
      for (const key of fs.readdirSync(stageDir)) {
        const dir = path.join(stageDir, key);
        let createdAt: Date | undefined;
        try {
          createdAt = new Date((JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest).createdAt);
        } catch {
          createdAt = undefined;
        }
        entries.push({ stage, key, dir, createdAt, temporary: key.startsWith('.tmp-') });
      }
    }
    return entries;
  }
}
