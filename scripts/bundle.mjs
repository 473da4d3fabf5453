#!/usr/bin/env node
// Builds the drop-in single files: dist/inotify-csync.mjs (the daemon) and
// dist/inotify-csync-node.mjs (the cluster node entry used by docker/), each one
// self-contained executable ESM file that needs nothing but Node >= 18.19
// (Debian 12's nodejs 18.20, Ubuntu 24.04's 18.19: scripts/test-distro-node.sh).
import { build } from 'esbuild';
import { chmod, readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));

const BUNDLES = [
  { entry: 'src/main.ts', outfile: 'dist/inotify-csync.mjs' },
  { entry: 'src/cluster/node-entry.ts', outfile: 'dist/inotify-csync-node.mjs' },
];

// split2 is CommonJS and requires node's own modules ('stream', 'string_decoder'):
// esbuild's ESM output can only do that through a real `require`.
// The same shebang as bin/inotify-csync.js: node's options for the daemon (src/process/node-flags.ts).
const shebang = (await readFile(new URL('../bin/inotify-csync.js', import.meta.url), 'utf8')).split('\n')[0];
const banner = [
  shebang,
  "import { createRequire as __inotifyCsyncCreateRequire } from 'node:module';",
  'const require = __inotifyCsyncCreateRequire(import.meta.url);',
].join('\n');

for (const { entry, outfile } of BUNDLES) {
  const started = Date.now();
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    // The oldest Node it must run on (package.json engines).
    target: 'node18.19',
    // The batch reader's worker loads this same file (new Worker(import.meta.url)):
    // keep import.meta.url pointing at the bundle itself, which esbuild does for ESM.
    banner: { js: banner },
    define: { __INOTIFY_CSYNC_VERSION__: JSON.stringify(pkg.version) },
    legalComments: 'none',
    logLevel: 'warning',
  });
  await chmod(new URL(`../${outfile}`, import.meta.url), 0o755);
  const { size } = await stat(new URL(`../${outfile}`, import.meta.url));
  console.log(`bundle: ${outfile} ${(size / 1024).toFixed(0)} KiB, ${pkg.name} ${pkg.version}, ${Date.now() - started} ms`);
}
