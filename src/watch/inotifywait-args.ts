/**
 * The design card's events, plus what the port needs to lose nothing:
 * `create` reports a new (possibly empty) directory, a symlink or a hard link,
 * which close_write never does; `attrib` reports chmod/chown. The kernel's
 * overflow event is always reported. `delete_self`/`move_self` tell when a
 * watched root itself goes away (inotifywait then keeps running, blind).
 */
export const WATCH_EVENTS = ['close_write', 'move', 'delete', 'create', 'attrib', 'delete_self', 'move_self'] as const;

/**
 * NUL-terminated records (`%0`, `--no-newline`) so that a file name containing a
 * newline stays one path; the event names come first, before one space.
 */
export const RECORD_FORMAT = '%e %w%f%0';

export interface InotifywaitArgsOptions {
  /** A POSIX extended regex of paths not to watch or report (inotifywait allows only one). */
  excludeRegex?: string;
}

/** Arguments of `inotifywait` for one watched root (the daemon starts one process per root). */
export function inotifywaitArgs(root: string, options: InotifywaitArgsOptions = {}): string[] {
  return [
    '--monitor',
    '--recursive',
    '--event',
    WATCH_EVENTS.join(','),
    '--format',
    RECORD_FORMAT,
    '--no-newline',
    ...(options.excludeRegex ? ['--exclude', options.excludeRegex] : []),
    '--',
    root,
  ];
}
