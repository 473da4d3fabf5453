/**
 * Linux limits one exec's argument list and environment together to ARG_MAX
 * (usually 2 MiB, a quarter of the stack limit) and one argument to 128 KiB.
 * Half of ARG_MAX, minus the environment, leaves room for the fixed options.
 */
export function defaultArgumentBudget(env: NodeJS.ProcessEnv = process.env): number {
  const argMax = 2 * 1024 * 1024;
  let envBytes = 0;
  for (const [key, value] of Object.entries(env)) envBytes += key.length + (value?.length ?? 0) + 2 + 8;
  return Math.max(16 * 1024, Math.floor(argMax / 2) - envBytes);
}

/** Splits paths into groups whose argv bytes (each path, its NUL and its pointer) stay under `budget`. */
export function chunkArguments(paths: readonly string[], budget: number): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let used = 0;
  for (const path of paths) {
    const cost = Buffer.byteLength(path) + 1 + 8;
    if (current.length > 0 && used + cost > budget) {
      chunks.push(current);
      current = [];
      used = 0;
    }
    current.push(path);
    used += cost;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
