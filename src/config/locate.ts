/**
 * Finding and reading the csync2 configuration the way csync2 does, so the
 * daemon watches exactly what its csync2 calls will sync.
 */
import { readFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { tokenize } from './lexer.js';
import { parseCsync2Config } from './parser.js';
import type { Csync2Config } from './types.js';

export interface LocateOptions {
  /** An explicit configuration file (`--config`): wins over everything else. */
  config?: string;
  /** csync2's `-C NAME`: read `csync2_NAME.cfg` instead of `csync2.cfg`. */
  configName?: string;
  /** The environment to read `CSYNC2_SYSTEM_DIR` from. @default process.env */
  env?: Record<string, string | undefined>;
  /**
   * Directories tried in order when `CSYNC2_SYSTEM_DIR` is unset: the first holding
   * the file wins. csync2 itself has one compiled-in directory: `/etc` on Debian and
   * Ubuntu, `/etc/csync2` on some other builds; both are tried.
   * @default ['/etc/csync2', '/etc']
   */
  systemDirs?: string[];
  /** Tells whether a file exists (for tests). @default fs.existsSync-like check */
  exists?: (file: string) => boolean;
}

export const DEFAULT_SYSTEM_DIRS = ['/etc/csync2', '/etc'];

/** csync2 2.x accepts only these characters in a `-C` name ("Config names are limited to [a-z0-9]+."). */
const CONFIG_NAME = /^[a-z0-9]+$/;

/** The file name csync2 reads for `-C name` (or without it). */
export function configFileName(configName?: string): string {
  if (configName === undefined || configName === '') return 'csync2.cfg';
  if (!CONFIG_NAME.test(configName)) {
    throw new ConfigError(`invalid csync2 config name '${configName}': csync2 accepts only [a-z0-9]+ after -C`);
  }
  return `csync2_${configName}.cfg`;
}

/** Picks the configuration file: --config, else CSYNC2_SYSTEM_DIR/NAME, else the first system dir holding NAME. */
export function locateCsync2Config(options: LocateOptions = {}): string {
  if (options.config) return options.config;
  const name = configFileName(options.configName);
  const env = options.env ?? process.env;
  const systemDir = env['CSYNC2_SYSTEM_DIR'];
  if (systemDir) return path.join(systemDir, name);
  const dirs = options.systemDirs ?? DEFAULT_SYSTEM_DIRS;
  const exists = options.exists ?? fileExists;
  const found = dirs.map((dir) => path.join(dir, name)).find((file) => exists(file));
  return found ?? path.join(dirs[0] ?? '/etc', name);
}

function fileExists(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

export interface ReadOptions {
  /**
   * Directory that relative `config FILE;` names are resolved against. csync2 opens
   * them relative to its own working directory (not the including file's), so the
   * daemon should pass the directory its csync2 calls run in. @default process.cwd()
   */
  cwd?: string;
}

/** Reads and parses a configuration and every file its `config FILE;` statements name. */
export async function readCsync2Config(file: string, options: ReadOptions = {}): Promise<Csync2Config> {
  const cwd = options.cwd ?? process.cwd();
  const texts = new Map<string, string>();
  const main = await readConfigText(file, `csync2 configuration not found: ${file} (set --config or CSYNC2_SYSTEM_DIR)`);
  // Includes can appear anywhere, so files are fetched on demand: a first pass
  // collects every name, reads them all, and repeats until nothing new is named.
  let pending = [{ text: main, from: file }];
  while (pending.length > 0) {
    const next: Array<{ text: string; from: string }> = [];
    for (const { text, from } of pending) {
      for (const name of includeNames(text, from)) {
        const target = path.resolve(cwd, name);
        if (texts.has(target)) continue;
        const content = await readConfigText(
          target,
          `included csync2 configuration not found: ${target} (named by 'config ${name};' in ${from}; csync2 resolves relative names against its working directory ${cwd})`,
        );
        texts.set(target, content);
        next.push({ text: content, from: target });
      }
    }
    pending = next;
  }
  return parseCsync2Config(main, file, {
    resolveInclude: (name) => {
      const target = path.resolve(cwd, name);
      return { file: target, text: texts.get(target) ?? '' };
    },
  });
}

/** File names of `config` statements, found with the real tokenizer (cheap; no parse). */
function includeNames(text: string, file: string): string[] {
  return tokenize(text, file)
    .filter((token) => token.kind === 'config')
    .map((token) => token.value);
}

async function readConfigText(file: string, notFound: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(notFound, { cause: error });
    throw new ConfigError(`cannot read csync2 configuration ${file}: ${code ?? String(error)} (check its permissions)`, { cause: error });
  }
}
