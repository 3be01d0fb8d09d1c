// The logger shape the responder needs; pino's Logger satisfies it.
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLog: Log = { info() {}, warn() {}, error() {} };

/** Collects entries (tests, and `lore sync` summaries). */
export function memoryLog(): Log & { entries: { level: string; msg: string; obj: Record<string, unknown> }[] } {
  const entries: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
  const at = (level: string) => (obj: object, msg?: string): void => {
    entries.push({ level, msg: msg ?? '', obj: obj as Record<string, unknown> });
  };
  return { entries, info: at('info'), warn: at('warn'), error: at('error') };
}
