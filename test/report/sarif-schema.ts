// The official SARIF 2.1.0 JSON schema as a validator.
//
// test/fixtures/sarif-schema-2.1.0.json is an unmodified copy of Schemata/sarif-schema-2.1.0.json
// from the OASIS SARIF TC repository (github.com/oasis-tcs/sarif-spec, commit 0a8091f7d405; its
// "id" is https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json),
// 112,768 bytes. It is written for JSON Schema draft-04, which Ajv 8 no longer reads; the only
// draft-04-specific keyword it uses is the top-level `id` (no boolean exclusiveMinimum/Maximum),
// so it is loaded as draft-07 with `id` renamed `$id` — every other keyword means the same.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import formats from 'ajv-formats';

// ajv-formats is CommonJS with `exports.default`: under NodeNext the default import is the module.
const addFormats = (formats as unknown as { default: (ajv: Ajv) => Ajv }).default;

const SCHEMA_FILE = new URL('../fixtures/sarif-schema-2.1.0.json', import.meta.url);

export function loadSarifSchema(): Record<string, unknown> {
  const raw = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
  const { $schema: _draft04, id, ...rest } = raw;
  return { $schema: 'http://json-schema.org/draft-07/schema#', $id: id, ...rest };
}

let validator: ValidateFunction | undefined;

/** Problems with a SARIF log against the official schema ([] when it validates). */
export function sarifProblems(log: unknown): string[] {
  if (!validator) {
    // strict: false — Ajv's strict mode refuses `anyOf: [{ required: [...] }]` naming properties the
    // branch does not itself define, a pattern the official schema uses (reportingDescriptorReference).
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    validator = ajv.compile(loadSarifSchema());
  }
  if (validator(log)) return [];
  return (validator.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
