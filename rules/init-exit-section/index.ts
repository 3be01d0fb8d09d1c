// init-exit-section: code must not reach a section that is gone when it runs. __init text and
// __initdata are freed once init is over (free_initmem(), and do_init_module() for a module), so
// a later call or dereference jumps into freed memory. __exit text is discarded when the code is
// built in (or the kernel cannot unload modules), so init code or runtime code that calls an
// __exit function fails to link or calls garbage. modpost reports these at build time as
// "Section mismatch" warnings; the bot reports them on the patch.
import { createRule } from '../../src/engine/rule.js';
import { meta } from './meta.js';
import { sectionMismatches, sectionOfFunction, type SectionUse } from '../../src/engine/kernel/sections.js';
import type { FileFacts } from '../../src/c/types.js';
import type { RawFinding } from '../../src/engine/types.js';
import { fix } from './fix.js';
import { bogusRefMarks } from './bogus-ref.js';

const targetText = (u: SectionUse): string =>
  u.targetSection === 'initdata' ? `__initdata object ${u.target}` : `__${u.targetSection} function ${u.target}()`;
/** What reads the table a file-scope macro fills, in the words of its subsystem. */
const macroWhy = (macro: string): string =>
  /^IRQCHIP_MATCH$/.test(macro)
    ? "the platform driver's match table: its probe calls the entry whenever the device binds, a deferred probe or a bind through sysfs"
    : /ATTR/.test(macro)
      ? 'a sysfs or debugfs attribute, called whenever the file is read or written'
      : /PM_OPS/.test(macro)
        ? 'power-management callbacks, called on every suspend and resume'
        : 'it is registered for use at any time';

const runsText = (u: SectionUse): string =>
  u.fromRuns?.includes('runtime') ? 'runs after init' : u.fromRuns?.includes('exit') ? 'runs at module exit, after init memory is freed' : 'runs during init';

/**
 * What was in an init section before the change and is not after it (same name, same file):
 * __init functions, and __initdata/__initconst objects.
 */
function demotedNames(before: { source: string; facts: FileFacts } | undefined, source: string, facts: FileFacts): Set<string> {
  const out = new Set<string>();
  if (!before) return out;
  const beforeLines = before.source.split('\n');
  const was = new Set(before.facts.functions.filter((f) => sectionOfFunction(beforeLines, f) === 'init').map((f) => f.name));
  const wasData = new Set(before.facts.sectionObjects.filter((o) => o.section === 'initdata' || o.section === 'initconst').map((o) => o.name.split('[')[0]!));
  if (!was.size && !wasData.size) return out;
  const lines = source.split('\n');
  for (const f of facts.functions) if (was.has(f.name) && sectionOfFunction(lines, f) === null) out.add(f.name);
  const stillData = new Set(facts.sectionObjects.map((o) => o.name.split('[')[0]!));
  for (const name of wasData) if (!stillData.has(name) && facts.globalRefs.some((r) => r.inObject?.split('[')[0] === name)) out.add(name);
  return out;
}

export default createRule({
  ...meta,
  rationale:
    '__init text and __initdata are freed when init is over; code that runs later and calls or reads them jumps into freed memory. __exit text is discarded in built-in builds; calling it from init (an error path) or from runtime code breaks the link or calls garbage. modpost warns about these as section mismatches; catching them on the patch saves a round trip.',
  precedents: [
    { commit: '3991b04d4870', subject: 'virt: sev-guest: Mark driver struct with __refdata to prevent section mismatch' },
    { commit: 'f31e0d0c2cad', subject: "ASoC: tlv320adc3xxx: Don't strip remove function when driver is builtin" },
  ],
  references: ['include/linux/init.h', 'scripts/mod/modpost.c'],
  messages: {
    initFromLater:
      '{from}() {runs} but {how} the {target} (line {tline}{where}), which is freed once init is over. Drop the __init{data} annotation, or only reach it from __init code.',
    exitFromInit:
      '{from}() {runs} and calls the __exit function {target}() (line {tline}{where}): __exit code is discarded when built in, so this breaks the link or calls garbage. Drop __exit from {target}() (it is used outside the exit path).',
    exitFromRuntime:
      '{from}() {runs} and {how} the __exit function {target}() (line {tline}{where}): __exit code is discarded when built in. Drop __exit from {target}().',
    dataInit:
      '{object}{field} points to the {what} (line {tline}), but {object} is not __initdata and is used after init (it is handed to the kernel or read by runtime code): that use reaches freed memory. Drop {annotation} from {target}, or keep {object} to init only and mark it __initdata/__initconst.',
    entry:
      '{macro}({target}) names a function marked __{section} (line {tline}): {why}. Mark {target}() __{want}.',
    callerExit:
      '{target}() is now __exit, but {caller}() in {callerFile} is not exit code ({when}) and calls it: __exit code is discarded when built in, so that call breaks the link or jumps into nothing. Drop __exit from {target}().',
    caller:
      '{target}() is now __init, but {caller}() in {callerFile} is not and calls it after init (probe or runtime code): the call lands in freed memory. Drop __init from {target}().',
    handed:
      '{from}() hands the __init function {target}() (line {tline}) {via}, which keeps it and calls it later (an interrupt, a timer, a work item, a slab constructor): by then its text has been freed. Drop __init from {target}().',
    demotedData:
      '{object}{field} points to the {what} (line {tline}{where}), but {object} is no longer in an init section: from .data or .rodata every reference into init code is a section mismatch modpost reports, and nothing stops a later reader from following the pointer into freed memory. Keep {object} __initdata/__initconst.',
    demoted:
      '{from}() is no longer __init but still {how} the {target} (line {tline}{where}). Wherever the compiler does not inline {from}() (clang, -Os, sanitizer builds, a second caller) it stays in .text and modpost reports a section mismatch; nothing then stops later code from calling it after init. Keep {from}() __init.',
    bogusRef:
      '{object} is marked {mark}, but nothing it refers to is __init or __exit code or data: the mark only switches modpost\'s section check off for {object}, so an __init probe or __exit remove added to it later goes unreported. Drop {mark}.',
    initOnlyCallers:
      '{from}() is not __init but {how} the {target} (line {tline}{where}); modpost reports this as a section mismatch. Every caller of {from}() is __init: mark it __init as well.',
    exitOneShot:
      '{object}{field} points to the __exit function {target}() (line {tline}) through __exit_p(): in a module the pointer stays, so modpost reports a section mismatch. The driver is registered once for good (it cannot be unbound), so mark {object} __refdata.',
    exitUnbind:
      '{object}{field} points to the __exit function {target}() (line {tline}) through __exit_p(): built in, the function is discarded and the driver\'s remove becomes NULL, yet the device can still be unbound (sysfs unbind, deferred probe) and then is never torn down. Drop __exit and __exit_p().',
    writableConst:
      '{target} is not const itself (a pointer to const data is not const) but is marked __initconst (line {tline}), the read-only section of init data: beside const init data it is a section type conflict, and a write to it faults where that section is mapped read-only. Mark it __initdata.',
    constData:
      '{target} is const but marked __initdata (line {tline}): __initdata is a writable section and const init data goes to __initconst; the compiler rejects the mix as a section type conflict. Mark it __initconst.',
    netExit:
      '{object}.{field} is an exit callback, but {target}() (line {tline}) is marked __net_init, which is __init in a kernel without CONFIG_NET_NS: unregistering the pernet operations at module unload calls into freed init text. Mark {target}() __net_exit.',
    macroInit:
      '{object}() at line {line} files {target}() in a table the kernel reads after init ({why}), but {target}() is __init (line {tline}): once init memory is freed that entry points into it, and modpost reports the reference. Drop __init from {target}().',
    exported:
      '{target} is exported at line {line} but marked {annotation} (line {tline}): a module can reach it through the export {when}, and modpost warns about exporting {annotation} symbols. Drop the export (and make {target} static where only this file uses it), or drop {annotation}.',
    dataExit:
      '{object}{field} points to the __exit function {target}() (line {tline}) without __exit_p(): built in, the function is discarded and the pointer dangles. Use __exit_p({target}) (and __refdata on {object} when it is registered with a *_probe() helper), or drop __exit.',
  },
  fix,
  check(ctx, format) {
    const out: RawFinding[] = [];
    for (const u of sectionMismatches(ctx.facts, ctx.source, ctx.index, demotedNames(ctx.before, ctx.source, ctx.facts))) {
      const where = u.targetFile === ctx.path ? '' : ` in ${u.targetFile}`;
      const base = { target: u.target, tline: u.targetLine, where };
      let message: string;
      if (u.how === 'export') {
        const annotation = u.targetSection === 'initdata' ? '__initdata' : `__${u.targetSection}`;
        message = format('exported', { ...base, line: u.line, annotation, when: u.targetSection === 'exit' ? 'while its text was discarded from the built-in kernel' : 'long after init memory was freed' });
      } else if (u.how === 'entry') {
        const exit = u.fromRuns?.includes('exit');
        message = format('entry', { ...base, macro: u.from ?? '', section: u.targetSection, want: exit ? 'exit' : 'init', why: exit ? '__init text is freed once the module is loaded, so unloading it jumps into freed memory' : '__exit text is discarded when the code is built in' });
      } else if (u.how === 'caller') {
        message =
          u.targetSection === 'exit'
            ? format('callerExit', { ...base, caller: u.from ?? '', callerFile: u.callerFile ?? '', when: u.fromRuns?.includes('init') ? 'it runs during init, an error path' : 'it runs at any time' })
            : format('caller', { ...base, caller: u.from ?? '', callerFile: u.callerFile ?? '' });
      } else if (u.how === 'const') {
        message = format(u.writable ? 'writableConst' : 'constData', base);
      } else if (u.how === 'netns') {
        message = format('netExit', { ...base, object: u.object ?? '', field: u.field ?? '' });
      } else if (u.how === 'macro') {
        message = format('macroInit', { ...base, object: u.object ?? '', line: u.line, why: macroWhy(u.object ?? '') });
      } else if (u.how === 'handed') {
        message = format('handed', { ...base, from: u.from ?? '', via: u.via ?? '' });
      } else if (u.demoted && u.how === 'data') {
        message = format('demotedData', { ...base, object: u.object ?? '', field: u.field ? `.${u.field}` : '', what: targetText(u) });
      } else if (u.demoted) {
        message = format('demoted', { ...base, from: u.from ?? '', how: u.how === 'call' ? 'calls' : 'refers to', target: targetText(u) });
      } else if (u.callersAllInit) {
        message = format('initOnlyCallers', { ...base, from: u.from ?? '', how: u.how === 'call' ? 'calls' : 'refers to', target: targetText(u) });
      } else if (u.how === 'data') {
        const data = { ...base, object: u.object ?? '', field: u.field ? `.${u.field}` : '' };
        message = u.exitP === 'one-shot' ? format('exitOneShot', data) : u.exitP === 'unbindable' ? format('exitUnbind', data) : u.targetSection === 'exit' ? format('dataExit', data) : format('dataInit', { ...data, what: targetText(u), annotation: u.targetSection === 'initdata' ? '__initdata' : '__init' });
      } else if (u.targetSection === 'exit') {
        const fromInit = !u.fromRuns?.includes('runtime');
        message = format(fromInit ? 'exitFromInit' : 'exitFromRuntime', { ...base, from: u.from ?? '', runs: fromInit ? 'runs during init (an error path, or a helper of init)' : runsText(u), how: u.how === 'call' ? 'calls' : 'takes the address of' });
      } else {
        message = format('initFromLater', { ...base, from: u.from ?? '', runs: runsText(u), how: u.how === 'call' ? 'calls' : 'refers to', target: targetText(u), data: u.targetSection === 'initdata' ? 'data' : '' });
      }
      const finding: RawFinding = {
        key: u.how === 'export' ? `export:${u.target}` : u.how === 'const' ? `${u.writable ? 'writable' : 'const'}:${u.target}` : u.how === 'netns' ? `netns:${u.object}.${u.field ?? ''}>${u.target}` : u.how === 'macro' ? `macro:${u.object}>${u.target}` : u.how === 'data' ? `data:${u.object}.${u.field ?? ''}>${u.target}` : u.how === 'caller' ? `caller:${u.target}` : u.how === 'entry' ? `entry:${u.from}(${u.target})` : `${u.targetSection}:${u.target}`,
        line: u.line,
        message,
        evidence: [
          u.how === 'export'
            ? `EXPORT_SYMBOL*(${u.target}) at line ${u.line}`
            : u.how === 'const'
            ? `${u.target} is ${u.writable ? 'not ' : ''}declared const (line ${u.line})`
            : u.how === 'data' || u.how === 'netns'
            ? `${u.object}${u.field ? `.${u.field}` : ''} = ${u.target} (line ${u.line})`
            : u.how === 'entry' || u.how === 'macro'
              ? `${u.from ?? u.object}(${u.target}) at line ${u.line}`
              : u.how === 'caller'
                ? `${u.from}() in ${u.callerFile} calls ${u.target}() and is not __init`
                : u.how === 'handed'
                  ? `${u.from}() hands ${u.target} ${u.via} at line ${u.line}`
                : `${u.from}() ${u.how === 'call' ? 'calls' : 'refers to'} ${u.target} at line ${u.line}; ${u.from}() ${u.demoted ? 'was __init before this change' : u.callersAllInit ? 'is called only from __init code' : runsText(u)}`,
          `${u.target} is ${u.how === 'netns' ? '__net_init' : u.writable ? '__initconst' : u.targetSection === 'initdata' ? '__initdata' : `__${u.targetSection}`} (${u.targetFile}:${u.targetLine})`,
        ],
        // Adding the annotation on the target is as much the cause as adding the reference.
        causes: [u.line, ...(u.targetFile === ctx.path ? [u.targetLine] : []), ...(u.objectLine !== undefined ? [u.objectLine] : [])],
      };
      if (u.from && u.how !== 'entry' && u.how !== 'caller') finding.function = u.from;
      // Whether modpost sees it depends on inlining: a warning, not an error.
      if (u.demoted) finding.severity = 'warning';
      out.push(finding);
    }
    for (const b of bogusRefMarks(ctx.facts, ctx.source, ctx.index)) {
      out.push({
        key: `bogusref:${b.object}`,
        line: b.line,
        severity: 'warning',
        message: format('bogusRef', { object: b.object, mark: b.mark }),
        evidence: [`${b.object} (line ${b.line}) is marked ${b.mark}`, `nothing ${b.object} refers to is in an init or exit section`],
      });
    }
    return out;
  },
});
