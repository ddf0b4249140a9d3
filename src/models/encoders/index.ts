/**
 * Every encoder family --encoder can pick. To add one: a definition file
 * beside these (see family.ts), one line here, and its test.
 */
import { classic } from './classic.ts';
import { conv } from './conv.ts';
import type { EncoderFamily } from './family.ts';
import { mlp } from './mlp.ts';

export type { AutoencoderSpec, EncoderFamily, EncoderOptions } from './family.ts';

export const ENCODER_FAMILIES: readonly EncoderFamily[] = [mlp, classic, conv];

export const ENCODER_NAMES = ENCODER_FAMILIES.map((family) => family.name);

/** The family called `name` (names are checked by the CLI; an unknown one here is a bug). */
export function encoderFamily(name = 'mlp'): EncoderFamily {
  const family = ENCODER_FAMILIES.find((f) => f.name === name);
  if (!family) throw new Error(`no encoder family "${name}" (${ENCODER_NAMES.join(', ')})`);
  return family;
}
