/**
 * Turn a Vega-Lite spec into standalone SVG text, headless in Node: vega
 * renders SVG without a canvas (text widths are estimated), so no native
 * module is needed and the SVG can be inlined into HTML.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

export interface RenderOptions {
  /** Used in error messages. */
  name?: string;
  /** Receives vega/vega-lite warnings (a warning usually means a wrong field name); ignored by default. */
  onWarning?: (message: string) => void;
}

/** Compile and render one spec to SVG text; throws with the chart's name when the spec is broken. */
export async function renderSvg(spec: TopLevelSpec, options: RenderOptions = {}): Promise<string> {
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
