// The selection step of the tree index: which functions of which files tree-sitter must parse.
// It runs on the lexical rows alone (src/index/lexical.ts), before any parse.
//
// A function is selected when a cross-file question can need its precise facts:
//  A. "closure": it is reachable from an init target (module_init, initcalls) through "may
//     return the callee's result" edges (lexical `cands`, a superset of the extractor's
//     propagation edges), bound as the queries bind names (a static definition in the calling
//     file first, else the non-static ones). Every function on a chain pathToModuleInit /
//     moduleInitChains can report, and every function errnoSource walks down from one, is here.
//  B. "remote": it is the definition in another file of a name that a file's init/exit paths
//     call — the init/exit functions and the same-file helpers they reach by any call
//     (LIFECYCLE_DEPTH levels) — when 1-3 non-static definitions exist: the rules follow those
//     paths in the file under review and look one level into other files (crossFileDefinition).
//     The paths' own functions are not selected: the file under review is always parsed whole
//     by the review or the scan, and no query reads another file's helpers.
// Files that call register_module_notifier() are parsed whole (their notifier_block
// initialisers and callbacks are read by moduleNotifiers() users).
//
// Two ways to compute it, same answer on a fresh index: `full` from every file's lexical rows;
// `incremental` from the previous selection plus the files read since (pending), which can only
// add (a function whose last reason disappeared stays selected until the next full step: a
// superset costs a parse, never an answer).
import type { DB } from '../store/db.js';
import type { SelRow, WantRow } from '../store/index-cache.js';

export interface SelFn {
  file: number;
  name: string;
  isStatic: boolean;
  /** Space-separated names whose result the function may return. */
  cands: string;
}

export interface SelectionSource {
  defsNamed(name: string): SelFn[];
  fileFns(file: number): SelFn[];
  /** init entries (kind 'init') of a file: the function names. */
  initsOf(file: number): string[];
  /** Lifecycle reach of a file (lexical.ts lifecycleReach), space-separated. */
  lifeOf(file: number): { local: string; remote: string };
  /** Wants recorded by earlier selection steps for this callee (incremental only). */
  wantsFor?(callee: string): WantRow[];
  /** The selection recorded for a file by earlier steps (incremental only). */
  selectionOf?(file: number): Map<string, string>;
}

export interface SelectionResult {
  /** New or changed selection rows. */
  sel: SelRow[];
  wants: WantRow[];
  /** BFS levels of the closure beyond its roots. */
  rounds: number;
}

/** At most this many non-static definitions of a name called from a lifecycle path are selected. */
const MAX_REMOTE_DEFS = 3;

const A_REASONS = new Set(['init', 'prop']);

/**
 * Compute the selection. `files`: the files to (re)consider — every file for a full step, the
 * pending ones for an incremental one. `previous`: the selection kept from before (incremental);
 * it is updated in place with what is added.
 */
export function computeSelection(src: SelectionSource, files: readonly number[]): SelectionResult {
  const selected = new Map<number, Map<string, string>>();
  // The files in scope are decided afresh (their previous rows are replaced); the others keep
  // what earlier steps recorded, read when first needed.
  for (const f of files) selected.set(f, new Map());
  const sel: SelRow[] = [];
  const wants: WantRow[] = [];
  const inScope = new Set(files);
  const split = (s: string) => (s ? s.split(' ') : []);

  const put = (fn: SelFn, why: string): boolean => {
    let m = selected.get(fn.file);
    if (!m) selected.set(fn.file, (m = src.selectionOf?.(fn.file) ?? new Map()));
    const had = m.get(fn.name);
    if (had !== undefined && (A_REASONS.has(had) || !A_REASONS.has(why))) return false;
    m.set(fn.name, why);
    sel.push({ file: fn.file, name: fn.name, why });
    return true;
  };

  const bind = (name: string, file: number): SelFn[] => {
    const defs = src.defsNamed(name);
    const statics = defs.filter((d) => d.isStatic && d.file === file);
    return statics.length ? statics : defs.filter((d) => !d.isStatic);
  };

  // A: roots, then BFS by levels.
  let level: SelFn[] = [];
  const addA = (fn: SelFn, why: string, into: SelFn[]) => {
    if (put(fn, why)) into.push(fn);
  };
  for (const file of files) {
    for (const name of src.initsOf(file)) {
      const local = src.fileFns(file).filter((f) => f.name === name);
      if (local.length) for (const f of local) addA(f, 'init', level);
      else {
        wants.push({ callee: name, file, caller: '', kind: 'prop' });
        for (const f of src.defsNamed(name).filter((d) => !d.isStatic)) addA(f, 'init', level);
      }
    }
  }

  // B: what the lifecycle paths of the files in scope call in other files.
  const remoteDefs = (name: string, from: number) => src.defsNamed(name).filter((d) => !d.isStatic && d.file !== from);
  for (const file of files) {
    const life = src.lifeOf(file);
    for (const name of split(life.remote)) {
      wants.push({ callee: name, file, caller: '', kind: 'call' });
      const defs = remoteDefs(name, file);
      if (defs.length >= 1 && defs.length <= MAX_REMOTE_DEFS) for (const d of defs) put(d, 'remote');
    }
  }

  // Incremental: what unchanged files wanted by name, now defined (again) by a file in scope.
  if (src.wantsFor) {
    for (const file of files) {
      for (const g of src.fileFns(file)) {
        if (g.isStatic) continue;
        for (const w of src.wantsFor(g.name)) {
          if (inScope.has(w.file)) continue;
          if (w.kind === 'prop') {
            if (!src.defsNamed(g.name).some((d) => d.isStatic && d.file === w.file)) addA(g, 'prop', level);
          } else if (remoteDefs(g.name, w.file).length <= MAX_REMOTE_DEFS) put(g, 'remote');
        }
      }
    }
  }

  let rounds = 0;
  while (level.length) {
    const next: SelFn[] = [];
    for (const fn of level) {
      for (const c of split(fn.cands)) {
        wants.push({ callee: c, file: fn.file, caller: fn.name, kind: 'prop' });
        for (const t of bind(c, fn.file)) addA(t, 'prop', next);
      }
    }
    if (next.length) rounds++;
    level = next;
  }
  return { sel, wants, rounds };
}

/** A SelectionSource over rows held in memory (the full step). */
export class MemorySelectionSource implements SelectionSource {
  private readonly byName = new Map<string, SelFn[]>();
  private readonly byFile = new Map<number, SelFn[]>();

  constructor(
    fns: Iterable<SelFn>,
    private readonly inits: Map<number, string[]>,
    private readonly life: Map<number, { local: string; remote: string }>,
  ) {
    for (const f of fns) {
      const a = this.byName.get(f.name);
      if (a) a.push(f);
      else this.byName.set(f.name, [f]);
      const b = this.byFile.get(f.file);
      if (b) b.push(f);
      else this.byFile.set(f.file, [f]);
    }
  }
  defsNamed(name: string): SelFn[] {
    return this.byName.get(name) ?? [];
  }
  fileFns(file: number): SelFn[] {
    return this.byFile.get(file) ?? [];
  }
  initsOf(file: number): string[] {
    return this.inits.get(file) ?? [];
  }
  lifeOf(file: number): { local: string; remote: string } {
    return this.life.get(file) ?? { local: '', remote: '' };
  }
}

interface FnDbRow {
  file: number;
  name: string;
  static: number;
  cands: string;
}

const toSelFn = (r: FnDbRow): SelFn => ({ file: r.file, name: r.name, isStatic: r.static === 1, cands: r.cands });

/** The whole tree's lexical rows, loaded once (the full step). */
export function loadSelectionSource(db: DB, tree: number): MemorySelectionSource {
  const fns = (db.prepare('SELECT x.file, x.name, x.static, x.cands FROM idx_functions x JOIN idx_files f ON f.id = x.file WHERE f.tree = ?').all(tree) as FnDbRow[]).map(toSelFn);
  const inits = new Map<number, string[]>();
  for (const r of db
    .prepare("SELECT e.file, e.fn FROM idx_modentries e JOIN idx_files f ON f.id = e.file WHERE f.tree = ? AND e.kind = 'init'")
    .all(tree) as { file: number; fn: string }[]) {
    const l = inits.get(r.file);
    if (l) l.push(r.fn);
    else inits.set(r.file, [r.fn]);
  }
  const life = new Map<number, { local: string; remote: string }>();
  for (const r of db
    .prepare("SELECT id, life_local AS local, life_remote AS remote FROM idx_files WHERE tree = ? AND (life_local != '' OR life_remote != '')")
    .all(tree) as { id: number; local: string; remote: string }[])
    life.set(r.id, { local: r.local, remote: r.remote });
  return new MemorySelectionSource(fns, inits, life);
}

/** Rows looked up on demand (the incremental step touches a few names and files). */
export class DbSelectionSource implements SelectionSource {
  private readonly st;
  private readonly names = new Map<string, SelFn[]>();
  private readonly files = new Map<number, SelFn[]>();

  constructor(db: DB, tree: number) {
    this.st = {
      named: db.prepare('SELECT x.file, x.name, x.static, x.cands FROM idx_functions x JOIN idx_files f ON f.id = x.file WHERE x.name = ? AND f.tree = ?'),
      file: db.prepare('SELECT file, name, static, cands FROM idx_functions WHERE file = ?'),
      inits: db.prepare("SELECT fn FROM idx_modentries WHERE file = ? AND kind = 'init'"),
      life: db.prepare('SELECT life_local AS local, life_remote AS remote FROM idx_files WHERE id = ?'),
      wants: db.prepare('SELECT w.callee, w.file, w.caller, w.kind FROM idx_wants w JOIN idx_files f ON f.id = w.file WHERE w.callee = ? AND f.tree = ?'),
      sel: db.prepare('SELECT name, why FROM idx_sel WHERE file = ?'),
    };
    this.tree = tree;
  }
  private readonly tree: number;

  defsNamed(name: string): SelFn[] {
    let r = this.names.get(name);
    if (!r) this.names.set(name, (r = (this.st.named.all(name, this.tree) as FnDbRow[]).map(toSelFn)));
    return r;
  }
  fileFns(file: number): SelFn[] {
    let r = this.files.get(file);
    if (!r) this.files.set(file, (r = (this.st.file.all(file) as FnDbRow[]).map(toSelFn)));
    return r;
  }
  initsOf(file: number): string[] {
    return (this.st.inits.all(file) as { fn: string }[]).map((r) => r.fn);
  }
  lifeOf(file: number): { local: string; remote: string } {
    return (this.st.life.get(file) as { local: string; remote: string } | undefined) ?? { local: '', remote: '' };
  }
  wantsFor(callee: string): WantRow[] {
    return this.st.wants.all(callee, this.tree) as WantRow[];
  }
  selectionOf(file: number): Map<string, string> {
    return new Map((this.st.sel.all(file) as { name: string; why: string }[]).map((r) => [r.name, r.why]));
  }
}
