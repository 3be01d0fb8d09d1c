// SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer): one run, the rule catalogue as
// `tool.driver.rules` with help text and a help URI, one result per finding with its location
// and a partial fingerprint that survives line moves. Pure.
import type { Finding, LineEdit, RuleMeta } from '../engine/types.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const DEFAULT_DOCS_URL = 'https://github.com/modreview/modreview/tree/main/rules';

export interface SarifOptions {
  /** Rules to describe (default: the rules the findings name, from the catalogue). */
  rules: readonly (RuleMeta & { readme?: string })[];
  /** Base URL of the rule documentation; `/<rule-id>` is appended. */
  docsUrl?: string;
  version?: string;
}

const LEVEL: Record<Finding['severity'], 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', note: 'note' };
const PRECISION: Record<RuleMeta['confidence'], string> = { high: 'high', medium: 'medium', low: 'low' };

function ruleHelp(r: RuleMeta): { text: string; markdown: string } {
  const prec = r.precedents.map((p) => `${p.commit} ("${p.subject}")`);
  const text = [r.rationale, prec.length ? `Precedents: ${prec.join('; ')}` : r.noPrecedent ? `No verified precedent: ${r.noPrecedent}` : ''].filter(Boolean).join('\n\n');
  const md = [
    r.rationale,
    prec.length ? `Precedents:\n${r.precedents.map((p) => `- [${p.commit}](https://git.kernel.org/linus/${p.commit}) ("${p.subject}")`).join('\n')}` : '',
    r.references?.length ? `References: ${r.references.map((x) => `\`${x}\``).join(', ')}` : '',
  ].filter(Boolean).join('\n\n');
  return { text, markdown: md };
}

/** A tree path as a relative URI: each segment escaped (`#`, `?`, `%` and spaces included). */
export function fileUri(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/**
 * A verified fix as a SARIF `fix`: one artifactChange with a replacement per line edit. A
 * deleted region runs from column 1 of its first line to column 1 of the line after it; an
 * insertion deletes the empty region at column 1 of the line it goes before (SARIF 2.1.0 3.57).
 */
export function sarifFix(file: string, title: string, edits: readonly LineEdit[]): Record<string, unknown> {
  return {
    description: { text: title },
    artifactChanges: [
      {
        artifactLocation: { uri: fileUri(file), uriBaseId: '%SRCROOT%' },
        replacements: [...edits]
          .sort((a, b) => a.line - b.line)
          .map((e) => ({
            deletedRegion: { startLine: e.line, startColumn: 1, endLine: e.line + e.deleteCount, endColumn: 1 },
            ...(e.insert.length ? { insertedContent: { text: e.insert.map((l) => `${l}\n`).join('') } } : {}),
          })),
      },
    ],
  };
}

export function sarifReport(findings: readonly Finding[], opts: SarifOptions): Record<string, unknown> {
  const docs = (opts.docsUrl ?? DEFAULT_DOCS_URL).replace(/(?<!\/)\/+$/, '');
  const rules = opts.rules;
  const indexOf = new Map(rules.map((r, i) => [r.id, i]));
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'modreview',
            informationUri: docs.replace(/\/tree\/main\/rules$/, ''),
            ...(opts.version ? { semanticVersion: opts.version, version: opts.version } : {}),
            rules: rules.map((r) => ({
              id: r.id,
              name: r.id.replace(/(^|-)([a-z])/g, (_m, _d: string, c: string) => c.toUpperCase()),
              shortDescription: { text: r.title },
              fullDescription: { text: r.rationale },
              help: ruleHelp(r),
              helpUri: `${docs}/${r.id}`,
              defaultConfiguration: { level: LEVEL[r.severity] },
              properties: { precision: PRECISION[r.confidence], tags: ['linux-kernel', 'module-lifecycle'] },
            })),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { description: { text: 'top of the kernel tree' } } },
        results: findings.map((f) => {
          const ruleIndex = indexOf.get(f.rule);
          return {
            ruleId: f.rule,
            ...(ruleIndex !== undefined ? { ruleIndex } : {}),
            level: LEVEL[f.severity],
            message: { text: f.evidence.length ? `${f.message}\nEvidence: ${f.evidence.join('; ')}` : f.message },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: fileUri(f.file), uriBaseId: '%SRCROOT%' },
                  region: { startLine: Math.max(1, f.line) },
                },
                ...(f.function ? { logicalLocations: [{ name: f.function, kind: 'function' }] } : {}),
              },
            ],
            partialFingerprints: { 'modreview/v1': f.fingerprint },
            ...(f.fix?.verified ? { fixes: [sarifFix(f.file, f.fix.title, f.fix.edits)] } : {}),
            properties: { where: f.where, patch: f.patch, ...(f.commit ? { commit: f.commit } : {}), precedents: f.precedents.map((p) => `${p.commit} ("${p.subject}")`) },
          };
        }),
      },
    ],
  };
}
