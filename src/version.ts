import { readFileSync } from 'node:fs';

/** The package version, read once from package.json (the bundle inlines it at build time). */
function readVersion(): string {
  if (typeof __INOTIFY_CSYNC_VERSION__ === 'string') return __INOTIFY_CSYNC_VERSION__;
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'inotify-csync' && pkg.version) return pkg.version;
    } catch {
      // try the next place
    }
  }
  return '0.0.0';
}

declare const __INOTIFY_CSYNC_VERSION__: string | undefined;

export const VERSION = readVersion();
