import { isUnder } from '../paths/under-root.js';

/** What changes between the shipped unit file and the one install-systemd writes. */
export interface UnitSettings {
  /** The command line: program first; `%i` stays a systemd specifier. */
  execStart: string[];
  /** The plain unit's host (Description=); undefined for the template unit. */
  host?: string;
  /** Directories that must be mounted first (the include roots); undefined when unknown. */
  mounts?: string[];
  /** The socket unit's ListenStream= port (csync2's -p); undefined keeps the shipped 30865. */
  listenPort?: string;
  /** false: the daemon serves no port (--no-server), so the service's Wants=/After=/Also= of its socket become comments. */
  socket?: boolean;
}

/** C0 control characters and DEL: a newline would start a new unit line, the others no unit word can hold. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** The first control character in `value`, written for a message (`\n`, `\x1b`), or undefined. */
export function controlCharacterIn(value: string): string | undefined {
  const found = CONTROL_CHARACTER.exec(value)?.[0];
  if (found === undefined) return undefined;
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  return named[found] ?? `\\x${found.charCodeAt(0).toString(16).padStart(2, '0')}`;
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
    if (settings.listenPort !== undefined && line.startsWith('ListenStream=')) return `ListenStream=${settings.listenPort}`;
    if (settings.socket === false && /^(Wants|After|Also)=\S+\.socket$/.test(line)) return `#${line} (the daemon runs with --no-server)`;
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
