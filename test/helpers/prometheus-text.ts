/** One sample line of the text format 0.0.4: a name, optional labels, a value. */
export const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? ([-+]?(?:\d+(?:\.\d*)?(?:e[-+]?\d+)?|Inf)|NaN)$/;

/**
 * Parses a metrics file as a scraper would: every line is `# HELP`, `# TYPE`
 * or a sample, else it throws naming the line. Returns `name{labels}` -> value.
 */
export function parsePrometheusText(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  if (!text.endsWith('\n')) throw new Error('the text does not end with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    if (/^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* /.test(line)) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    samples.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]?.replace('Inf', 'Infinity')));
  }
  return samples;
}
