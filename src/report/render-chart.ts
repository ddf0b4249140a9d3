/**
 * Turn a Vega-Lite spec into standalone SVG text, headless in Node: vega
 * renders SVG without a canvas (text widths are estimated), so no native
 * module is needed and the SVG can be inlined into HTML.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import type { ArtifactStore } from '../artifacts/store.ts';
import { drawnSvg } from './figure-cache.ts';

export interface RenderOptions {
  /** Used in error messages. */
  name?: string;
  /** Receives vega/vega-lite warnings (a warning usually means a wrong field name); ignored by default. */
  onWarning?: (message: string) => void;
  /** A store of drawn figures: a spec rendered before is read back, not rendered again (figure-cache.ts). */
  cache?: ArtifactStore;
}

/** Bump when this file changes what a spec renders to (compactSvg, the renderer's settings). */
const RENDER_VERSION = 1;

/** An installed package's version (vega's do not export their package.json, so it is found beside the resolved entry). */
function installedVersion(name: string): string {
  let dir = path.dirname(createRequire(import.meta.url).resolve(name));
  while (path.dirname(dir) !== dir) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const found = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version: string };
      if (found.name === name) return found.version;
    }
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find the version of ${name}`);
}

/**
 * Compile and render one spec to SVG text; throws with the chart's name when the spec is broken.
 * With a cache, a chart rendered before is read back: a rerun whose results did not change draws
 * its report without loading vega.
 */
export async function renderSvg(spec: TopLevelSpec, options: RenderOptions = {}): Promise<string> {
  const renderer = options.cache && { version: RENDER_VERSION, vega: installedVersion('vega'), vegaLite: installedVersion('vega-lite') };
  return drawnSvg(options.cache, { spec, renderer }, () => render(spec, options));
}

async function render(spec: TopLevelSpec, options: RenderOptions): Promise<string> {
  // Loaded with the first chart: commands that draw none (--help, a run that stops early) never load them.
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const logger = vega.logger(vega.Warn);
  const forward = (...args: unknown[]) => {
    options.onWarning?.(args.map(String).join(' '));
    return logger;
  };
  logger.warn = forward;
  let view: vega.View | undefined;
  try {
    const compiled = vl.compile(spec, { logger }).spec;
    view = new vega.View(vega.parse(compiled), { renderer: 'none', logger });
    return compactSvg(await view.toSVG());
  } catch (err) {
    throw new Error(`rendering ${options.name ?? 'chart'} failed: ${(err as Error).message}`);
  } finally {
    view?.finalize();
  }
}

/**
 * Round the numbers inside SVG attributes to 2 decimals (vega writes up to
 * 17 digits): a scatter of a thousand points shrinks by about half, with no
 * visible change. Text content is left alone.
 */
export function compactSvg(svg: string): string {
  return svg.replace(/="([^"]*)"/g, (_m, value: string) => `="${value.replace(/(\d+\.\d\d)\d+/g, '$1')}"`);
}
