/** What `--rsync-target` placeholders expand to for one peer and one include root. */
export interface RsyncTargetValues {
  /** The peer's csync2 name (`host@address`: the address). */
  host: string;
  /** The root's absolute directory on the peer. */
  peerRoot: string;
  /** The csync2 name of the root without `%` (`%data%/sub` -> `data/sub`), else its base name. */
  module: string;
}

/** Placeholders a template may use; one of {path}, {relpath}, {module} must name the directory. */
export const RSYNC_TARGET_PLACEHOLDERS = ['{host}', '{path}', '{relpath}', '{module}'] as const;

/**
 * Expands a `--rsync-target` template: `{host}`, `{path}` (the peer's root,
 * absolute), `{relpath}` (the same without the leading slash) and `{module}`.
 * The result always ends in one slash, so rsync copies into the directory, never
 * creates a directory named after the source inside it.
 */
export function expandRsyncTarget(template: string, values: RsyncTargetValues): string {
  const dir = values.peerRoot === '/' ? '/' : `${values.peerRoot.replace(/\/+$/, '')}/`;
  const expanded = template.replace(/\{(host|path|relpath|module)\}/g, (_, name: string) => {
    switch (name) {
      case 'host':
        return values.host;
      case 'path':
        return dir;
      case 'relpath':
        return dir.slice(1);
      default:
        return values.module;
    }
  });
  return `${expanded.replace(/\/+$/, '')}/`.replace(/([^:/])\/{2,}/g, '$1/');
}

/** True for a target an rsync daemon serves (`rsync://` or `host::module`), where --contimeout applies. */
export function isDaemonTarget(target: string): boolean {
  return target.startsWith('rsync://') || /^[^/]*::/.test(target);
}
