// `--format sarif` against the official SARIF 2.1.0 schema (see sarif-schema.ts for its source),
// plus what GitHub code scanning reads: rule metadata with help text and a help URI, results
// pointing at a rule index, physical locations relative to %SRCROOT%, partial fingerprints.
import { describe, expect, it } from 'vitest';
import { allRules } from '../../rules/index.js';
import { findingOf } from '../../src/engine/review.js';
import { suppressionRule } from '../../src/engine/suppress.js';
import type { Finding } from '../../src/engine/types.js';
import { sarifReport } from '../../src/report/sarif.js';
import { runCli } from '../cli/run.js';
import { loadSarifSchema, sarifProblems } from './sarif-schema.js';

const rule = (id: string) => allRules.find((r) => r.id === id)!;

function findings(): Finding[] {
  const eexist = findingOf(
    rule('module-init-eexist'),
    {
      key: 'EEXIST:origin',
      line: 124,
      function: 'dm_dirty_log_type_register',
      message: 'dm_dirty_log_type_register() returns -EEXIST, and 2 module_init function(s) return its result',
      evidence: ['userspace_dirty_log_init() (drivers/md/dm-log-userspace-base.c) -> dm_dirty_log_type_register() (drivers/md/dm-log.c) -> -EEXIST'],
    },
    'drivers/md/dm-log.c',
    1,
    'added',
    'd6af419c1dce547e290ba91f515e5b66ecd55e8a',
  );
  const unwind = findingOf(rule('init-error-unwind'), { key: 'leak:x', line: 4249, function: 'ena_init', message: 'create_singlethread_workqueue(ena_wq) is not undone', evidence: [], severity: 'warning' }, 'drivers/net/ethernet/amazon/ena/ena_netdev.c', 2, 'context');
  // A file name that needs escaping in a URI, and a finding of the engine's own housekeeping rule.
  const unused = findingOf(suppressionRule, { key: 'unused:init-error-unwind@', line: 1, message: "'modreview-ignore: init-error-unwind' suppresses no finding here; remove it", evidence: [] }, 'drivers/md/dm log#1.c', 1, 'added');
  return [eexist, unwind, unused];
}

describe('sarifReport', () => {
  it('the schema copy is the official one', () => {
    const s = loadSarifSchema();
    expect(s.$id).toBe('https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json');
    expect(s.title).toBe('Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema');
    expect(Object.keys(s.definitions as object)).toHaveLength(52);
  });

  it('validates against the SARIF 2.1.0 schema, with and without results', () => {
    const rules = [...allRules, suppressionRule];
    expect(sarifProblems(sarifReport(findings(), { rules, version: '0.1.0' }))).toEqual([]);
    expect(sarifProblems(sarifReport([], { rules }))).toEqual([]);
    // The validator is not a rubber stamp: a result without a message is refused.
    const bad = sarifReport(findings(), { rules }) as { runs: { results: Record<string, unknown>[] }[] };
    delete bad.runs[0]!.results[0]!.message;
    expect(sarifProblems(bad).join('\n')).toMatch(/must have required property 'message'/);
  });

  it('carries what GitHub code scanning reads', () => {
    const rules = [...allRules, suppressionRule];
    const log = sarifReport(findings(), { rules, version: '0.1.0' }) as {
      version: string;
      runs: {
        tool: { driver: { name: string; version?: string; rules: { id: string; help: { text: string; markdown: string }; helpUri: string; shortDescription: { text: string }; defaultConfiguration: { level: string } }[] } };
        results: { ruleId: string; ruleIndex: number; level: string; message: { text: string }; partialFingerprints: Record<string, string>; locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId: string }; region: { startLine: number } } }[] }[];
      }[];
    };
    expect(log.version).toBe('2.1.0');
    const run = log.runs[0]!;
    expect(run.tool.driver).toMatchObject({ name: 'modreview', version: '0.1.0' });
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(rules.map((r) => r.id));
    for (const r of run.tool.driver.rules) {
      expect(r.help.text.length).toBeGreaterThan(20);
      expect(r.help.markdown.length).toBeGreaterThan(20);
      expect(r.helpUri).toMatch(/^https:\/\/\S+\/rules\/[a-z0-9-]+$/);
      expect(r.shortDescription.text).toBe(rules.find((x) => x.id === r.id)!.title);
    }
    const ee = run.tool.driver.rules.find((r) => r.id === 'module-init-eexist')!;
    expect(ee.help.markdown).toContain('[54416fd76770](https://git.kernel.org/linus/54416fd76770) ("netfilter: conntrack: helper: Replace -EEXIST by -EBUSY")');
    expect(ee.defaultConfiguration.level).toBe('error');
    const [a, b, c] = run.results;
    expect(a).toMatchObject({ ruleId: 'module-init-eexist', level: 'error', ruleIndex: 0 });
    expect(a!.locations[0]!.physicalLocation).toEqual({ artifactLocation: { uri: 'drivers/md/dm-log.c', uriBaseId: '%SRCROOT%' }, region: { startLine: 124 } });
    expect(a!.message.text).toContain('Evidence: userspace_dirty_log_init() (drivers/md/dm-log-userspace-base.c)');
    expect(a!.partialFingerprints).toEqual({ 'modreview/v1': findings()[0]!.fingerprint });
    expect(b).toMatchObject({ ruleId: 'init-error-unwind', level: 'warning', ruleIndex: 1 });
    expect(c).toMatchObject({ ruleId: 'unused-suppression', level: 'note', ruleIndex: rules.length - 1 });
    expect(c!.locations[0]!.physicalLocation.artifactLocation.uri).toBe('drivers/md/dm%20log%231.c');
  });

  it('the CLI writes a valid log, every rule described', async () => {
    const r = await runCli(['review', '--format', 'sarif', new URL('../../examples/dm-log-comment.patch', import.meta.url).pathname]);
    expect(r.code).toBe(0);
    const log = JSON.parse(r.stdout) as { runs: { tool: { driver: { rules: { id: string }[]; version: string } }; results: unknown[] }[] };
    expect(sarifProblems(log)).toEqual([]);
    expect(log.runs[0]!.results).toEqual([]);
    expect(log.runs[0]!.tool.driver.rules.map((x) => x.id)).toEqual([...allRules.map((x) => x.id), 'unused-suppression']);
    expect(log.runs[0]!.tool.driver.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});
