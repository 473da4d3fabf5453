import type { CAC, Command } from 'cac';
import type { OwnFlags, ShortFlag } from './split-argv.js';

/** One option, declared once: cac's flags (`<...>` = takes a value), its help line and its default. */
export interface OptionSpec {
  flags: string;
  description: string;
  /** The value used when the option is not given; shown in --help. */
  default?: string | number;
  /** What --help says the default is, when that is not a plain value. */
  shown?: string;
}

type ValueOf<Flags extends string> = Flags extends `${string}<${string}` ? string : boolean;

/** A table's options as the commands receive them: strings for value options, booleans for flags. */
export type OptionsOf<Table extends Record<string, OptionSpec>> = { -readonly [Key in keyof Table]?: ValueOf<Table[Key]['flags']> };

type CacOption = Command['options'][number];

/** `check-interval` for `--check-interval <seconds>`, `mode` for `-m, --mode <mode>`. */
export const longName = (flags: string): string => /--([\w-]+)/.exec(flags)?.[1] ?? flags;

/** Declares a table's options on a cac command, in the table's order. */
export function addOptions(command: Command, table: Record<string, OptionSpec>): Command {
  for (const spec of Object.values(table)) {
    const shown = spec.shown ?? spec.default;
    command.option(spec.flags, shown === undefined ? spec.description : `${spec.description} (default: ${shown})`);
  }
  return command;
}

/** Picks a table's options out of what cac parsed; an option given twice: the last one wins, as with most tools. */
export function readOptions<Table extends Record<string, OptionSpec>>(command: Command, table: Table, parsed: Record<string, unknown>): OptionsOf<Table> {
  const options: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    const name = command.options.find((option) => option.rawName === spec.flags)?.name ?? key;
    const value: unknown = Array.isArray(parsed[name]) ? (parsed[name] as unknown[]).at(-1) : parsed[name];
    // cac reads "5" as the number 5: value options stay text until they are resolved.
    if (value !== undefined) options[key] = spec.flags.includes('<') ? String(value) : value;
  }
  return options as OptionsOf<Table>;
}

/** What splitArgv must know of this program's own options: the value options of `command`, and every short letter the program claims. */
export function ownFlags(cli: CAC, command: Command): OwnFlags {
  const everyOption: CacOption[] = [cli.globalCommand, ...cli.commands].flatMap((each) => each.options);
  const values = [...cli.globalCommand.options, ...command.options].filter((option) => !option.isBoolean).map((option) => longName(option.rawName));
  const shorts = everyOption.flatMap((option) =>
    option.names.filter((name) => name.length === 1).map((letter): [string, ShortFlag] => [letter, { long: longName(option.rawName), value: !option.isBoolean }]),
  );
  return { values: new Set(values), shorts: new Map(shorts) };
}
