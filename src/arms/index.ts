/**
 * Every arm, in the order the report lists them (the reference first). To
 * add an arm: one definition file beside these, one line here, and its test;
 * --arms, results validation, the summary, charts and wording follow.
 */
import { UserError } from '../errors.ts';
import type { ArmDefinition } from './arm.ts';
import { baseline } from './baseline.ts';
import { frozen } from './frozen.ts';
import { pca } from './pca.ts';
import { pretrained } from './pretrained.ts';
import { pseudoLabel } from './pseudo-label.ts';
import { stepMatched } from './step-matched.ts';
import { twoPhase } from './two-phase.ts';

export type { ArmDefinition } from './arm.ts';

export const ARMS = [baseline, pretrained, frozen, twoPhase, pca, pseudoLabel, stepMatched] as const satisfies readonly ArmDefinition[];

export type ArmName = (typeof ARMS)[number]['name'];

/** The declarations in their general shape (ARMS keeps each one's literal types, for ArmName). */
export const ARM_DEFINITIONS: readonly ArmDefinition[] = ARMS;

/** The arm every other arm is compared with. */
export const REFERENCE_ARM: ArmDefinition = ARMS.find((arm) => 'reference' in arm && arm.reference)!;

/** The arms --arms may ask for (the reference always runs). */
export const ARM_CHOICES: ArmName[] = ARMS.filter((arm) => arm !== REFERENCE_ARM).map((arm) => arm.name);

const BY_NAME = new Map<string, ArmDefinition>(ARMS.map((arm) => [arm.name, arm]));

/** True when `name` is an arm's name. */
export function isArmName(name: unknown): name is ArmName {
  return typeof name === 'string' && BY_NAME.has(name);
}

/** The arm called `name`; unknown names are bad input. */
export function armNamed(name: string): ArmDefinition {
  const arm = BY_NAME.get(name);
  if (!arm) throw new UserError(`"${name}" is not an arm: use one of ${ARMS.map((a) => a.name).join(', ')}.`);
  return arm;
}

/** `names` in the arms' fixed order (so colours, legends and tables agree everywhere). */
export function inArmOrder<T extends string>(names: Iterable<T>): T[] {
  const wanted = new Set<string>(names);
  return ARMS.map((arm) => arm.name).filter((name) => wanted.has(name)) as string[] as T[];
}
