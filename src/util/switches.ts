/**
 * On/off options (yargs booleans) spelled with a value. yargs reads
 * --quick=yes or --download=1 as off, so the run would silently be another
 * one than asked for; every command refuses such a spelling instead.
 */
import { UserError } from '../errors.ts';

/** Refuse a value other than true/false given to an on/off switch; `switches` are the command's boolean options. */
export function rejectSwitchValues(argv: readonly string[], switches: readonly string[]): void {
  for (const token of argv) {
    if (token === '--') break;
    const match = /^--(?:no-)?([^=]+)=(.*)$/s.exec(token);
    if (!match || !switches.includes(match[1]) || match[2] === 'true' || match[2] === 'false') continue;
    throw new UserError(`${token}: --${match[1]} is a switch and takes no value: write --${match[1]} to turn it on or --no-${match[1]} to turn it off.`);
  }
}

/** The boolean options of a yargs parser (yargs 17 has getOptions() but its types do not declare it). */
export function switchesOf(parser: object): string[] {
  return (parser as { getOptions(): { boolean: string[] } }).getOptions().boolean;
}

