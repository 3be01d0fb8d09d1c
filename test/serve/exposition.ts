// The Prometheus text exposition format (0.0.4) read back: `name{labels}` → value. A line it
// cannot read is an error, so a test using it also checks the format.
export function parseExposition(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const r = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})?) (-?[0-9.e+-]+|NaN|[+-]Inf)$/.exec(line);
    if (!r) throw new Error(`not exposition format: ${JSON.stringify(line)}`);
    m.set(r[1]!, Number(r[2]));
  }
  return m;
}
