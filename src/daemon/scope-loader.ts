import { existsSync, statSync } from 'node:fs';
import { locateCsync2Config, readCsync2Config, selectScope } from '../config/index.js';
import type { SyncScope } from '../config/types.js';
import { ConfigError } from '../errors.js';
import type { ResolvedOptions } from './daemon-options.js';

/** Reads csync2's configuration and derives what this host watches and syncs; every include root must be a directory. */
export async function loadScope(options: Pick<ResolvedOptions, 'config' | 'csync2'>): Promise<SyncScope> {
  const file = locateCsync2Config({ config: options.config, configName: options.csync2.configName, env: process.env });
  const config = await readCsync2Config(file);
  const scope = selectScope(config, { host: options.csync2.host, groups: options.csync2.groups });
  for (const root of scope.watchRoots) {
    if (!existsSync(root)) {
      throw new ConfigError(`include path ${root} (from ${file}) does not exist: create it, or fix the include in ${file}`);
    }
    if (!statSync(root).isDirectory()) {
      throw new ConfigError(`include path ${root} (from ${file}) is not a directory: inotify-csync watches directories`);
    }
  }
  return scope;
}
