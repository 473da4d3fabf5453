import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { round } from './stats.js';

/** A target a figure must meet: at most or at least `value`. */
export interface Target {
  op: '<=' | '>=';
  value: number;
}

/** One line of the results table. */
export interface Row {
  figure: string;
  unit: string;
  /** Ours (the daemon); undefined when it could not be measured. */
  value: number | undefined;
  target?: Target;
  /** The status quo's figure in the same run (the csync2 -x loop, or the floor). */
  baseline?: number;
  /** What the baseline column holds, when it is not the -x loop. */
  baselineLabel?: string;
  /** Figures of other agents (INOTIFY_CSYNC_BENCH_OTHER), by name. */
  others?: Record<string, number | undefined>;
  note?: string;
}

export interface RowVerdict extends Row {
  met: boolean | undefined;
  /** value / baseline (for times lower is better, for rates higher is better). */
  ratio: number | undefined;
}

export function verdict(row: Row): RowVerdict {
  const met = row.target === undefined || row.value === undefined
    ? (row.target === undefined ? undefined : false)
    : row.target.op === '<=' ? row.value <= row.target.value : row.value >= row.target.value;
  const ratio = row.value !== undefined && row.baseline !== undefined && row.baseline !== 0 ? row.value / row.baseline : undefined;
  return { ...row, met, ratio };
}

function fmt(value: number | undefined, unit = ''): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  if (!Number.isFinite(value)) return '∞';
  const abs = Math.abs(value);
  const text = Number.isInteger(value) ? value.toLocaleString('en-US') : abs >= 10_000 ? Math.round(value).toLocaleString('en-US') : abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : abs >= 1 ? value.toFixed(2) : value.toFixed(3);
  return unit ? `${text} ${unit}` : text;
}

function fmtRatio(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return '–';
  return ratio >= 10 ? `${ratio.toFixed(0)}×` : ratio >= 0.1 ? `${ratio.toFixed(2)}×` : `${ratio.toFixed(3)}×`;
}

function cells(row: RowVerdict): string[] {
  return [
    row.figure,
    fmt(row.value, row.unit),
    row.target ? `${row.target.op} ${fmt(row.target.value, row.unit)}` : '',
    row.met === undefined ? '' : row.met ? 'met' : 'MISSED',
    row.baseline === undefined ? '–' : `${fmt(row.baseline, row.unit)}${row.baselineLabel ? ` (${row.baselineLabel})` : ''}`,
    fmtRatio(row.ratio),
    ...(row.others ? Object.values(row.others).map((v) => fmt(v, row.unit)) : []),
  ];
}

const HEADER = ['figure', 'inotify-csync', 'target', '', 'baseline (csync2 -x loop)', 'ratio'];

/** A plain-text table for the terminal. */
export function textTable(rows: RowVerdict[]): string {
  const otherNames = Object.keys(rows.find((r) => r.others)?.others ?? {});
  const table = [[...HEADER, ...otherNames], ...rows.map(cells)];
  const widths = table[0]!.map((_, col) => Math.max(...table.map((line) => (line[col] ?? '').length)));
  return table
    .map((line, i) => {
      const text = line.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('  ');
      return i === 0 ? `${text}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : text;
    })
    .join('\n');
}

/** The same table in Markdown, for the README. */
export function markdownTable(rows: RowVerdict[]): string {
  const otherNames = Object.keys(rows.find((r) => r.others)?.others ?? {});
  const header = [...HEADER.map((h) => h || 'met'), ...otherNames];
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((row) => `| ${cells(row).join(' | ')} |`),
  ].join('\n');
}

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** Writes bench/results/<name>-<timestamp>.json and latest-<name>.json (+ .md); returns the paths. */
export function writeResults(name: string, data: Record<string, unknown>, markdown: string): string[] {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const json = `${JSON.stringify(data, (_key, value: unknown) => (typeof value === 'number' ? round(value) : value), 2)}\n`;
  const files = [join(RESULTS_DIR, `${name}-${stamp}.json`), join(RESULTS_DIR, `latest-${name}.json`)];
  for (const file of files) writeFileSync(file, json);
  const md = join(RESULTS_DIR, `latest-${name}.md`);
  writeFileSync(md, `${markdown}\n`);
  return [...files, md];
}
