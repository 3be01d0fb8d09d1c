// Errors that map to a clear one-line message and an exit status. Anything else reaching the
// CLI's top level is a bug: it is still reported in one line (with the stack only under DEBUG).

/** Bad input or usage: exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Input that could not be read as a patch, mail or mbox: exit status 2. */
export class InputError extends Error {
  override name = 'InputError';
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.name;
  return String(err);
}
