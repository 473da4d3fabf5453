import { isUnder } from '../paths/under-root.js';

/** What changes between the shipped unit file and the one install-systemd writes. */
export interface UnitSettings {
  /** The command line: program first; `%i` stays a systemd specifier. */
  execStart: string[];
  /** The plain unit's host (Description=); undefined for the template unit. */
  host?: string;
  /** Directories that must be mounted first (the include roots); undefined when unknown. */
  mounts?: string[];
}

/** Quotes one ExecStart=/RequiresMountsFor= word as systemd.syntax(7) reads it; `%` and `$` are escaped unless they are specifiers we mean. */
export function quoteUnitWord(word: string, keepSpecifiers = false): string {
  let escaped = keepSpecifiers ? word : word.replace(/%/g, '%%');
  escaped = escaped.replace(/\$/g, '$$$$');
  if (escaped !== '' && !/[\s"'\\;]/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The ProtectSystem= level that still lets csync2 write every include root (see the comments in the unit). */
export function protectSystemFor(roots: string[]): 'full' | 'true' | undefined {
  // A root inside dir, or one holding it (only `/` holds these top-level dirs), must stay writable.
  const under = (dir: string): boolean => roots.some((root) => isUnder(root, dir) || isUnder(dir, root));
  if (under('/usr') || under('/boot') || under('/efi')) return undefined;
  if (under('/etc')) return 'true';
  return 'full';
}

/**
 * Fills the shipped unit file in: ExecStart=, the host in Description=,
 * RequiresMountsFor= for the include roots and the ProtectSystem= level they
 * allow. Everything else, comments included, stays as shipped.
 */
export function renderUnit(template: string, settings: UnitSettings): string {
  const lines = template.split('\n').map((line) => {
    if (line.startsWith('ExecStart=')) {
      const [program = '', ...args] = settings.execStart;
      return `ExecStart=${[quoteUnitWord(program), ...args.map((arg) => quoteUnitWord(arg, arg === '%i'))].join(' ')}`;
    }
    if (settings.host !== undefined && line.startsWith('Description=')) {
      return line.replace(/for host \S+$/, `for host ${settings.host.replace(/%/g, '%%')}`);
    }
    if (settings.mounts && settings.mounts.length > 0 && /^#?RequiresMountsFor=/.test(line)) {
      return `RequiresMountsFor=${settings.mounts.map((mount) => quoteUnitWord(mount)).join(' ')}`;
    }
    if (settings.mounts && line.startsWith('ProtectSystem=')) {
      const level = protectSystemFor(settings.mounts);
      return level ? `ProtectSystem=${level}` : '# ProtectSystem= left out: an include root is under /usr, /boot or /efi';
    }
    return line;
  });
  return lines.join('\n');
}
