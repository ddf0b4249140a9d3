/**
 * The reconstruction picture: test images on the top rows and the
 * autoencoder's reconstructions of the same images, in the same order, on
 * the bottom rows, as one PNG (pngjs, no canvas). Image datasets only.
 */
import { PNG } from 'pngjs';
import type { RunPictures } from './run-record.ts';

export interface GridOptions {
  /** Pixel scale factor (2 turns 28×28 into 56×56). */
  scale?: number;
  /** Images per row. */
  perRow?: number;
  /** Border between cells, in output pixels. */
  border?: number;
}

/** Layout of a grid: rows of originals, a gap, the same rows of reconstructions. */
export interface GridLayout {
  width: number;
  height: number;
  rows: number;
  perRow: number;
  cellWidth: number;
  cellHeight: number;
}

/** Bump when this file changes the picture it draws (figure-cache.ts keeps drawn ones). */
export const GRID_VERSION = 1;

const BORDER_GREY = 200;
const GAP = 6;

/** Where each image goes: rows × perRow cells, twice (originals, reconstructions), with borders and a gap between the halves. */
export function gridLayout(pictures: Pick<RunPictures, 'inputShape' | 'reconstruction'>, options: GridOptions = {}): GridLayout {
  const scale = options.scale ?? 2;
  const border = options.border ?? 1;
  const [h, w] = pictures.inputShape;
  const count = pictures.reconstruction.count;
  const perRow = Math.max(1, Math.min(options.perRow ?? 8, count));
  const rows = Math.ceil(count / perRow);
  const cellWidth = w * scale + border;
  const cellHeight = h * scale + border;
  return { width: perRow * cellWidth + border, height: 2 * (rows * cellHeight + border) + GAP, rows, perRow, cellWidth, cellHeight };
}

/** Draw the originals-over-reconstructions grid and return PNG bytes; throws for non-image input shapes. */
export function reconstructionGridPng(pictures: Pick<RunPictures, 'inputShape' | 'reconstruction'>, options: GridOptions = {}): Buffer {
  if (pictures.inputShape.length !== 3) throw new Error(`reconstructionGridPng: inputShape ${JSON.stringify(pictures.inputShape)} is not an image (h × w × c)`);
  const scale = options.scale ?? 2;
  const border = options.border ?? 1;
  const [h, w, c] = pictures.inputShape;
  const layout = gridLayout(pictures, options);
  const png = new PNG({ width: layout.width, height: layout.height });
  // white background, grey borders drawn as the background of each half
  png.data.fill(255);
  const half = layout.rows * layout.cellHeight + border;
  for (let y = 0; y < layout.height; y++) {
    const inGap = y >= half && y < half + GAP;
    for (let x = 0; x < layout.width; x++) {
      const i = (y * layout.width + x) * 4;
      const grey = inGap ? 255 : BORDER_GREY;
      png.data[i] = png.data[i + 1] = png.data[i + 2] = grey;
      png.data[i + 3] = 255;
    }
  }
  const features = h * w * c;
  const draw = (source: readonly number[], top: number) => {
    for (let n = 0; n < pictures.reconstruction.count; n++) {
      const x0 = (n % layout.perRow) * layout.cellWidth + border;
      const y0 = top + Math.floor(n / layout.perRow) * layout.cellHeight + border;
      for (let y = 0; y < h * scale; y++) {
        for (let x = 0; x < w * scale; x++) {
          const p = n * features + (Math.floor(y / scale) * w + Math.floor(x / scale)) * c;
          const i = ((y0 + y) * layout.width + (x0 + x)) * 4;
          for (let ch = 0; ch < 3; ch++) {
            const v = source[p + (c === 1 ? 0 : Math.min(ch, c - 1))];
            png.data[i + ch] = Math.round(255 * Math.min(1, Math.max(0, v)));
          }
        }
      }
    }
  };
  draw(pictures.reconstruction.originals, 0);
  draw(pictures.reconstruction.reconstructed, half + GAP);
  return PNG.sync.write(png);
}
