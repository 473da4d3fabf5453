/**
 * csync2's temporary files: while receiving `DIR/NAME` it writes
 * `DIR/.NAME.XXXXXX` (mkstemp; one leading dot of NAME dropped, NAME cut to
 * fit NAME_MAX) unless `tempdir` is set, then renames or unlinks it. Their
 * events are echoes of csync2's own work, not changes to sync.
 */

/** Six mkstemp characters after `.`, behind a dot-name: `.index.html.Ab3xYz`. */
const TEMP_NAME = /^\.[^/]+\.[A-Za-z0-9]{6}$/;

/** True when the path's file name has the shape of a csync2 temporary file. */
export function isCsync2TempFile(path: string): boolean {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return TEMP_NAME.test(base);
}

/** The temporary name csync2 would use for `name` (before mkstemp fills in the X's). */
export function csync2TempName(name: string): string {
  const stem = name.startsWith('.') ? name.slice(1) : name;
  // NAME_MAX (255) minus the leading dot and the 7-byte suffix, minus strlcpy's NUL.
  let cut = Buffer.from(stem, 'utf8').subarray(0, 246).toString('utf8').replace(/\uFFFD+$/, '');
  if (cut.endsWith('.')) cut = cut.slice(0, -1);
  return `.${cut}.XXXXXX`;
}
