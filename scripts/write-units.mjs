#!/usr/bin/env node
// Writes systemd/*.service from the one definition in src/systemd/unit-templates.ts
// (run by `npm run build`, after tsc): the shipped files are generated, never edited.
import { readFile, writeFile } from 'node:fs/promises';
import { SHIPPED_UNITS } from '../dist/systemd/unit-templates.js';

for (const [name, text] of Object.entries(SHIPPED_UNITS)) {
  const file = new URL(`../systemd/${name}`, import.meta.url);
  const current = await readFile(file, 'utf8').catch(() => undefined);
  // Unchanged files keep their mtime, so nothing downstream rebuilds for nothing.
  if (current === text) continue;
  await writeFile(file, text);
  console.log(`wrote systemd/${name}`);
}
