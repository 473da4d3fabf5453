/**
 * Differential test: for several configurations, the set of paths our matcher
 * accepts must equal the set real csync2 records in its database, for a full
 * scan (`csync2 -cIr /`) and for paths checked one by one (`csync2 -cI PATH...`).
 * Also checks that the inotifywait exclude regex never hides a synced path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import {
  createPathMatcher,
  inotifyExcludeRegex,
  parseCsync2Config,
  selectScope,
  type SyncScope,
} from '../../src/config/index.js';

function findBinary(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const CSYNC2 = findBinary('csync2');
const INOTIFYWAIT = findBinary('inotifywait');
const HOST = '127.0.0.2';

const DIRS = [
  'a', 'a/sub1', 'a/sub1/deep', 'a/logs', 'a/tmp', 'a/.git', 'a/.git/objects', 'a/x',
  'b', 'b/cache', 'b/cache/keep1', 'b/cache2', 'b/.keepdir', 'c', 'c/cache', 'd', 'd/e', 'd/e/f',
  '.hidden', '.hidden/inside', 'tmp', 'sp ace',
];
const FILES = ['f.txt', 'g.log', 'h~', '.dot', 'keep', '.keep', 'é.txt', 'x.tmp', 'cache', 'a b', 'k.txt', '.x.AbC123'];

/** Every directory and file of the generated tree, absolute, the tree root first. */
async function makeTree(root: string): Promise<string[]> {
  const paths = [root];
  for (const dir of DIRS) {
    await mkdir(path.join(root, dir), { recursive: true });
    paths.push(path.join(root, dir));
  }
  for (const dir of ['', ...DIRS]) {
    for (const file of FILES) {
      if (DIRS.includes(path.join(dir, file))) continue;
      const target = path.join(root, dir, file);
      await writeFile(target, `${dir}/${file}\n`);
      paths.push(target);
    }
  }
  return paths;
}

interface Case {
  name: string;
  config: (t: string, key: string) => string;
  groups?: string[];
}

const CASES: Case[] = [
  {
    name: 'seed style: one group, basename excludes',
    config: (t, key) => `group mygroup\n{\n\thost ${HOST} 127.0.0.3;\n\tkey ${key};\n\tinclude ${t};\n\texclude *~ .*;\n\tauto younger;\n}\n`,
  },
  {
    name: 'several groups, only some list this host',
    config: (t, key) => `
group g1 { host ${HOST} 127.0.0.3; key ${key}; include ${t}/a; exclude *.log; }
group g2 { host 127.0.0.4 ${HOST}; key ${key}; include ${t}/a/logs ${t}/b; exclude ${t}/b/cache*; }
group g3 { host 127.0.0.3 127.0.0.4; key ${key}; include ${t}/c; }
`,
  },
  {
    name: '-G narrows the groups',
    groups: ['g2'],
    config: (t, key) => `
group g1 { host ${HOST} 127.0.0.3; key ${key}; include ${t}/a; exclude *.log; }
group g2 { host 127.0.0.4 ${HOST}; key ${key}; include ${t}/a/logs ${t}/b; exclude ${t}/b/cache*; }
`,
  },
  {
    name: 'prefix with host patterns, %data% excludes',
    config: (t, key) => `
group g { host ${HOST} (127.0.0.3); key ${key}; include %data%; exclude %data%/tmp; exclude *~; }
prefix data { on 127.0.0.[3-9]: /nowhere; on 127.0.0.*: ${t}/a/; on *: /x; }
`,
  },
  {
    name: 'pathname globs, include after exclude',
    config: (t, key) => `
group g { host ${HOST}; key ${key};
  include ${t};
  exclude ${t}/*/cache;
  include ${t}/b/cache/keep*;
  exclude .*;
  include .keep;
}
`,
  },
  {
    name: 'deep includes: parents are walked, not synced',
    config: (t, key) => `group g { host ${HOST}; key ${key}; include ${t}/a/sub1/deep ${t}/.hidden/inside; include ${t}/d/e/; exclude .*; }\n`,
  },
  {
    name: 'read-only local host, compare statement quirk',
    config: (t, key) => `group g { host (${HOST}) 127.0.0.3; key ${key}; compare ${t}/c ${t}/d; include ${t}/b; }\n`,
  },
  {
    name: '** patterns',
    config: (t, key) => `group g { host ${HOST}; key ${key}; include ${t}/**/keep; include ${t}/d; exclude ${t}/d/**.txt; }\n`,
  },
  {
    name: 'byte-wise ? and brackets',
    config: (t, key) => `group g { host ${HOST}; key ${key}; include ${t}; exclude ?.txt [fg].* ${t}/[!ab]*/cache; }\n`,
  },
  {
    name: 'prefix and plain patterns over the same directory',
    config: (t, key) => `
group g1 { host ${HOST}; key ${key}; include ${t}/a; exclude %data%/sub1; }
group g2 { host ${HOST}; key ${key}; include %data%; exclude ${t}/a/logs; exclude .git; }
prefix data { on *: ${t}/a; }
`,
  },
  {
    name: 'an include csync2 can never reach (dot root under exclude .*)',
    config: (t, key) => `group g { host ${HOST}; key ${key}; include ${t}/.hidden; include ${t}/c; exclude .*; }\n`,
  },
];

/** Maps csync2 names (`%data%/x`) back to real paths. */
function realName(name: string, scope: SyncScope): string {
  const match = /^%([^%]*)%(.*)$/s.exec(name);
  if (!match) return name;
  const base = scope.prefixes?.[match[1] as string];
  assert.ok(base !== undefined, `csync2 listed ${name} but prefix is unknown to us`);
  return base + (match[2] as string);
}

async function listDb(env: Record<string, string>, db: string, scope: SyncScope): Promise<Set<string>> {
  const { stdout, exitCode, stderr } = await execa(CSYNC2 as string, ['-N', HOST, '-D', db, '-L'], { env, reject: false });
  assert.ok(exitCode === 0 || exitCode === 2, `csync2 -L failed (${exitCode}): ${stderr}`);
  const names = new Set<string>();
  for (const line of stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab >= 0) names.add(realName(line.slice(tab + 1), scope));
  }
  return names;
}

function compare(label: string, all: string[], csync2: Set<string>, ours: (p: string) => boolean, root: string): string[] {
  const problems: string[] = [];
  for (const p of all) {
    const theirs = csync2.has(p);
    const mine = ours(p);
    if (theirs !== mine) problems.push(`${label} ${p}: csync2=${theirs ? 'sync' : 'skip'} ours=${mine ? 'sync' : 'skip'}`);
  }
  for (const p of csync2) {
    if (p.startsWith(root) && !all.includes(p)) problems.push(`${label} ${p}: csync2 synced a path outside the test list`);
  }
  return problems;
}

test('matcher agrees with real csync2', { skip: CSYNC2 ? false : 'csync2 is not installed' }, async (t) => {
  const work = await mkdtemp(path.join(tmpdir(), 'csync2-diff-'));
  try {
    const tree = path.join(work, 'tree');
    const all = await makeTree(tree);
    const key = path.join(work, 'csync2.key');
    await execa(CSYNC2 as string, ['-k', key]);

    for (const [index, c] of CASES.entries()) {
      await t.test(c.name, async () => {
        const etc = path.join(work, `etc${index}`);
        await mkdir(etc);
        const text = c.config(tree, key);
        await writeFile(path.join(etc, 'csync2.cfg'), text);
        const scope = selectScope(parseCsync2Config(text, path.join(etc, 'csync2.cfg')), {
          host: HOST,
          ...(c.groups ? { groups: c.groups } : {}),
        });
        const env = { CSYNC2_SYSTEM_DIR: etc };
        const groupArgs = c.groups ? ['-G', c.groups.join(',')] : [];

        const scanDb = path.join(work, `scan${index}`);
        await mkdir(scanDb);
        const scan = await execa(CSYNC2 as string, ['-N', HOST, '-D', scanDb, ...groupArgs, '-cIr', '/'], { env, reject: false });
        assert.equal(scan.exitCode, 0, `csync2 -cIr / failed: ${scan.stderr}`);
        const scanned = await listDb(env, scanDb, scope);

        const directDb = path.join(work, `direct${index}`);
        await mkdir(directDb);
        const direct = await execa(CSYNC2 as string, ['-N', HOST, '-D', directDb, ...groupArgs, '-cI', ...all], { env, reject: false });
        assert.equal(direct.exitCode, 0, `csync2 -cI PATHS failed: ${direct.stderr}`);
        const checked = await listDb(env, directDb, scope);

        const problems = [
          ...compare('scan', all, scanned, createPathMatcher(scope), tree),
          ...compare('direct', all, checked, createPathMatcher(scope, { mode: 'direct' }), tree),
        ];

        const regex = inotifyExcludeRegex(scope);
        if (regex !== undefined) {
          if (INOTIFYWAIT) {
            // The regex must compile as inotifywait's POSIX ERE: exit 2 is its timeout, 1 an error.
            const run = await execa(INOTIFYWAIT, ['-r', '-t', '1', '--exclude', regex, '--', tree], { reject: false });
            assert.equal(run.exitCode, 2, `inotifywait rejected --exclude ${regex}: ${run.stderr}`);
          }
          const re = new RegExp(regex);
          for (const p of scanned) {
            for (let cut = p.length; cut > 0; cut = p.lastIndexOf('/', cut - 1)) {
              const hidden = p.slice(0, cut);
              if (re.test(hidden)) problems.push(`exclude regex ${regex} hides ${hidden}, but csync2 syncs ${p}`);
            }
          }
        }
        assert.deepEqual(problems, [], `config:\n${text}`);
        assert.ok(scanned.size > 0, 'csync2 synced nothing: the case tests nothing');
      });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
