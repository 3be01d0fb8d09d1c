// `modreview scan` on real Linux 6.12 subsystems (the -EEXIST sites the seed series went after,
// and the modules that call them), every rule, three formats; and on bad input: a directory that
// is not a kernel tree, a file with invalid UTF-8, a missing path, unreadable files.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { deflateSync, inflateSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskRunner, runScan, type ScanCliOptions } from '../../src/commands/scan.js';
import type { ScanJson } from '../../src/report/scan.js';
import { openStore } from '../../src/store/db.js';
import { gitBlobId } from '../../src/c/lex.js';
import type { CachedFacts } from '../../src/c/types.js';
import { kernelTree } from '../helpers/kernel.js';

const tmp = mkdtempSync(join(tmpdir(), 'modreview-scan-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The subsystems and the modules that register with them (module_init callers). */
const SUBSYSTEMS = ['drivers/target', 'drivers/scsi/fcoe', 'drivers/scsi/bnx2fc', 'security/keys', 'net/dns_resolver'];

async function scan(paths: string[], o: Partial<ScanCliOptions> & { tree: string }): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runScan(paths, { db: join(tmp, 'index.sqlite'), format: 'text', failOn: 'warning', index: true, ...o }, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

describe('modreview scan on Linux 6.12 subsystems', () => {
  const tree = process.env.MODREVIEW_TEST_KERNEL ?? kernelTree();
  let json: ScanJson;
  let first: { code: number; out: string; err: string };

  beforeAll(async () => {
    first = await scan(SUBSYSTEMS, { tree, format: 'json', indexPath: SUBSYSTEMS });
    json = JSON.parse(first.out) as ScanJson;
  });

  const eexist = () => json.findings.filter((f) => f.rule === 'module-init-eexist');
  const site = (file: string) => eexist().filter((f) => f.file === file);

  it('finds transport_backend_register() in drivers/target/target_core_hba.c, with the module_init chains', () => {
    expect(first.code).toBe(1);
    const [f, ...more] = site('drivers/target/target_core_hba.c');
    expect(more).toEqual([]);
    expect(f).toMatchObject({ severity: 'error', function: 'transport_backend_register' });
    expect(f!.evidence).toContain('fileio_module_init() (drivers/target/target_core_file.c) -> transport_backend_register() (drivers/target/target_core_hba.c) -> -EEXIST');
    expect(f!.evidence).toContain('iblock_module_init() (drivers/target/target_core_iblock.c) -> transport_backend_register() (drivers/target/target_core_hba.c) -> -EEXIST');
  });

  it('finds fcoe_transport_attach() in drivers/scsi/fcoe/fcoe_transport.c, reached from fcoe and bnx2fc', () => {
    const [f] = site('drivers/scsi/fcoe/fcoe_transport.c');
    expect(f).toMatchObject({ severity: 'error', function: 'fcoe_transport_attach' });
    expect(f!.evidence).toContain('fcoe_init() (drivers/scsi/fcoe/fcoe.c) -> fcoe_transport_attach() (drivers/scsi/fcoe/fcoe_transport.c) -> -EEXIST');
    expect(f!.evidence).toContain('bnx2fc_mod_init() (drivers/scsi/bnx2fc/bnx2fc_fcoe.c) -> fcoe_transport_attach() (drivers/scsi/fcoe/fcoe_transport.c) -> -EEXIST');
  });

  it('finds register_key_type() in security/keys/key.c as a warning (its maintainer objected to the change)', () => {
    const [f] = site('security/keys/key.c');
    expect(f).toMatchObject({ severity: 'warning', function: 'register_key_type' });
    expect(f!.evidence).toContain('init_dns_resolver() (net/dns_resolver/dns_key.c) -> register_key_type() (security/keys/key.c) -> -EEXIST');
  });

  it('groups by rule, then by file in path order; every finding of every rule names its file under the PATHs', () => {
    const files = [...new Set(eexist().map((f) => f.file))];
    expect(files).toEqual([...files].sort());
    for (const f of json.findings) expect(SUBSYSTEMS.some((p) => f.file.startsWith(`${p}/`))).toBe(true);
    expect(json.summary.scanned).toBeGreaterThan(30);
    expect(json.problems).toEqual([]);
  });

  it('text groups under a rule header, one file section each; SARIF carries the same results', async () => {
    const text = await scan(['drivers/scsi/fcoe', 'drivers/scsi/bnx2fc'], { tree, rules: ['module-init-eexist'], indexPath: SUBSYSTEMS });
    // One finding per origin: the functions the -EEXIST flows through are its evidence.
    expect(text.out).toMatch(/^=== module-init-eexist: 1 finding in 1 file/m);
    expect(text.out).toContain('  evidence: also flows through bnx2fc_mod_init() (drivers/scsi/bnx2fc/bnx2fc_fcoe.c:');
    expect(text.out).toContain('--- drivers/scsi/fcoe/fcoe_transport.c\nERROR: drivers/scsi/fcoe/fcoe_transport.c:');
    expect(text.out).toContain('  evidence: fcoe_init() (drivers/scsi/fcoe/fcoe.c) -> fcoe_transport_attach() (drivers/scsi/fcoe/fcoe_transport.c) -> -EEXIST');
    // The index was refreshed by the first scan: nothing is read again.
    expect(text.err).toBe('');
    const sarif = JSON.parse((await scan(['drivers/scsi/fcoe'], { tree, rules: ['module-init-eexist'], format: 'sarif', indexPath: SUBSYSTEMS })).out) as {
      runs: { results: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[];
    };
    const uris = sarif.runs[0]!.results.map((r) => `${r.ruleId} ${r.level} ${r.locations[0]!.physicalLocation.artifactLocation.uri}`);
    expect(uris).toContain('module-init-eexist error drivers/scsi/fcoe/fcoe_transport.c');
  });

  it('keeps the facts of every scanned file in the facts cache; a rescan takes them from there and says the same', async () => {
    const db = openStore(join(tmp, 'index.sqlite'));
    const cached = (db.prepare('SELECT count(*) AS n FROM facts_cache').get() as { n: number }).n;
    expect(cached).toBeGreaterThanOrEqual(json.summary.scanned);
    const again = JSON.parse((await scan(SUBSYSTEMS, { tree, format: 'json', indexPath: SUBSYSTEMS })).out) as ScanJson;
    expect(again.findings).toEqual(json.findings);
    expect((db.prepare('SELECT count(*) AS n FROM facts_cache').get() as { n: number }).n).toBe(cached);

    // The rescan read the cache, not the file: an entry doctored to forget the -EEXIST return of
    // fcoe_transport_attach() takes the finding away. (Restored afterwards.)
    const blob = gitBlobId(readFileSync(join(tree, 'drivers/scsi/fcoe/fcoe_transport.c'), 'utf8'));
    const row = db.prepare('SELECT z FROM facts_cache WHERE blob = ?').get(blob) as { z: Buffer };
    const entry = JSON.parse(inflateSync(row.z).toString('utf8')) as CachedFacts;
    for (const f of entry.facts.functions) if (f.name === 'fcoe_transport_attach') f.returnsErrno = f.returnsErrno.filter((e) => e.code !== 'EEXIST');
    db.prepare('UPDATE facts_cache SET z = ? WHERE blob = ?').run(deflateSync(Buffer.from(JSON.stringify(entry))), blob);
    const doctored = JSON.parse((await scan(['drivers/scsi/fcoe'], { tree, format: 'json', rules: ['module-init-eexist'], indexPath: SUBSYSTEMS })).out) as ScanJson;
    db.prepare('UPDATE facts_cache SET z = ? WHERE blob = ?').run(row.z, blob);
    const fns = doctored.findings.map((x) => x.function);
    expect(fns).not.toContain('fcoe_transport_attach');
    db.close();
  });
});

describe('modreview scan on bad input', () => {
  const dir = join(tmp, 'not-a-kernel');
  beforeAll(() => {
    mkdirSync(join(dir, 'drv'), { recursive: true });
    writeFileSync(
      join(dir, 'drv', 'good.c'),
      `#include <linux/module.h>
static int __init good_init(void)
{
\treturn -EEXIST;
}
module_init(good_init);
MODULE_LICENSE("GPL");
`,
    );
    writeFileSync(join(dir, 'drv', 'latin1.c'), Buffer.from('/* Jos\xe9 */\nstatic int __init x_init(void) { return 0; }\nmodule_init(x_init);\n', 'latin1'));
    writeFileSync(join(dir, 'drv', 'plain.c'), 'int add(int a, int b)\n{\n\treturn a + b;\n}\n');
  });

  it('says the tree is not a kernel tree, reports the invalid UTF-8 file, and scans the rest', async () => {
    const r = await scan([], { tree: dir, db: join(tmp, 'bad.sqlite') });
    expect(r.err).toContain('does not look like a Linux kernel tree');
    expect(r.err).toContain('drv/latin1.c: invalid UTF-8; skipped');
    expect(r.code).toBe(1);
    expect(r.out).toContain('ERROR: drv/good.c:4 in good_init(): good_init() is a module_init function and returns -EEXIST');
    // plain.c names no module-lifecycle word: left out by the pre-filter.
    expect(r.out).toMatch(/1 files scanned, 1 skipped, 1 not readable/);
    expect(r.out).toContain('problem: drv/latin1.c: invalid UTF-8; skipped');
  });

  it('reports a PATH that is missing or outside the tree and carries on with the others', async () => {
    const r = await scan(['drv/nope.c', '../elsewhere', 'drv/good.c'], { tree: dir, db: join(tmp, 'bad.sqlite') });
    expect(r.err).toContain('drv/nope.c: no such file or directory in the tree; skipped');
    expect(r.err).toContain('../elsewhere: not inside the tree');
    expect(r.out).toContain('drv/good.c:4');
    await expect(scan(['drv/nope.c'], { tree: dir, db: join(tmp, 'bad.sqlite') })).rejects.toThrow(/no PATH to scan/);
    await expect(scan([], { tree: join(dir, 'drv', 'good.c') })).rejects.toThrow(/--tree: not a directory/);
  });

  it('a file that cannot be read is a problem of that file, not of the scan', async () => {
    const runner = await createTaskRunner({ root: dir });
    expect(runner.run({ id: 1, rel: 'drv/gone.c', abs: join(dir, 'drv', 'gone.c'), selected: false })).toEqual({ kind: 'problem', id: 1, problem: 'unreadable (ENOENT); skipped' });
    expect(runner.run({ id: 2, rel: 'drv', abs: join(dir, 'drv'), selected: false })).toEqual({ kind: 'problem', id: 2, problem: 'unreadable (EISDIR); skipped' });
    expect(runner.run({ id: 3, rel: 'drv/good.c', abs: join(dir, 'drv', 'good.c'), selected: false })).toMatchObject({ kind: 'scanned', id: 3 });
  });
});
