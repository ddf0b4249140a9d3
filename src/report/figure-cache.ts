/**
 * The report's drawn figures, kept in the artifact store (data/charts/) under a key of everything
 * they are drawn from: a rerun whose results did not change draws its report without loading vega
 * or encoding a PNG again. Without a store (a report rebuilt from its folder), every figure is drawn.
 */
import { sha256 } from '../artifacts/hash.ts';
import type { ArtifactStore } from '../artifacts/store.ts';

/** The store's folder of drawn figures. */
const FIGURES = 'charts';

/**
 * The bytes of the figure drawn from `source` (JSON: what it shows and how it is drawn, with
 * versions), read back when drawn before. `source` is built by code in a fixed order, so its JSON
 * text is stable as it is (sorting the keys of a large chart spec costs more than reading it back).
 */
async function drawn(store: ArtifactStore, file: string, source: unknown, draw: () => Promise<Uint8Array>): Promise<Buffer> {
  const key = sha256(JSON.stringify(source)).slice(0, 16);
  if (store.check(FIGURES, key).ok) return store.read(FIGURES, key, file);
  const figure = Buffer.from(await draw());
  store.write(FIGURES, key, { [file]: figure });
  return figure;
}

/** An SVG chart's text, drawn once per source. */
export async function drawnSvg(store: ArtifactStore | undefined, source: unknown, draw: () => Promise<string>): Promise<string> {
  if (!store) return draw();
  return (await drawn(store, 'chart.svg', source, async () => Buffer.from(await draw(), 'utf8'))).toString('utf8');
}

/** A PNG picture's bytes, drawn once per source. */
export async function drawnPng(store: ArtifactStore | undefined, source: unknown, draw: () => Buffer): Promise<Buffer> {
  if (!store) return draw();
  return drawn(store, 'picture.png', source, async () => draw());
}
