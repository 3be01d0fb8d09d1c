// The identity of a resource argument: what an acquire and its release are matched on.
import { describe, expect, it } from 'vitest';
import { resourceIdentity } from '../../src/c/lex.js';

describe('resourceIdentity', () => {
  it.each([
    ['&foo_driver', 'foo_driver'],
    ['( & foo )', 'foo'],
    ['dev->wq', 'dev->wq'],
    // acpi_get_table(ACPI_SIG_ERST, 0, (struct acpi_table_header **)&erst_tab) is released as
    // acpi_put_table((struct acpi_table_header *)erst_tab).
    ['(struct acpi_table_header **)&erst_tab', 'erst_tab'],
    ['(struct acpi_table_header *)erst_tab', 'erst_tab'],
    ['(void *)priv', 'priv'],
    // A parenthesised expression is not a cast.
    ['(a + b)', 'a+b'],
  ])('%s -> %s', (arg, id) => {
    expect(resourceIdentity(arg)).toBe(id);
  });
});
