/**
 * The look every chart shares: fonts that exist everywhere (SVG text, no
 * web fonts), each arm in its declared colour so it keeps it across
 * charts, and sizes that fit two charts side by side in a 1100 px page.
 */
import type { TopLevelSpec } from 'vega-lite';
import { armNamed } from '../arms/index.ts';

/** System font stack without quotes (vega writes it into an SVG attribute). */
export const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif';

/** Width of a chart that shares a row with another; a full-width chart is about twice this. */
export const HALF_WIDTH = 390;
export const FULL_WIDTH = 900;

type Config = NonNullable<TopLevelSpec['config']>;

/** Vega-Lite config shared by all charts. */
export const CHART_CONFIG: Config = {
  font: FONT,
  background: 'white',
  padding: 8,
  view: { stroke: null },
  title: { fontSize: 14, fontWeight: 600, anchor: 'start', color: '#222', subtitleColor: '#555', subtitleFontSize: 11 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 500, titleColor: '#333', labelColor: '#444', gridColor: '#e6e6e6', domainColor: '#999', tickColor: '#999' },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 500, orient: 'bottom', direction: 'horizontal', symbolOpacity: 1, titleLimit: 300, labelLimit: 240 },
  header: { labelFontSize: 12, titleFontSize: 12, labelFontWeight: 500 },
};

/** Colour scale for the arms present, each in the colour its declaration gives it (src/arms/). */
export function armColourScale(arms: readonly string[]): { domain: string[]; range: string[] } {
  const domain = [...arms];
  return { domain, range: domain.map((a) => armNamed(a).colour) };
}
