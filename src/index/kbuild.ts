// Whether a file of the tree can be built as a module, from kbuild: the directory's Makefile
// (or Kbuild) says which config symbol builds the object the file is part of (`obj-$(CONFIG_X)
// += foo.o`, or `foo-objs := a.o b.o` with `obj-$(CONFIG_X) += foo.o`), and Kconfig says
// whether that symbol is `tristate` (can be a module) or `bool` (built in only). `obj-y` is
// built in, `obj-m` a module. A file kbuild does not place comes out undefined: the rules then
// go by the file's own markers (module_init(), MODULE_LICENSE(), ...).
//
// Read lazily, one directory at a time, and cached: a review asks about a handful of files.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';

export type BuildKind = 'module' | 'builtin';

interface DirRules {
  /** Object (`foo.o`) → how it is selected: 'y', 'm', or a config symbol. */
  objects: Map<string, string[]>;
  /** Composite object name (`netdevsim`) → its member objects. */
  composites: Map<string, Set<string>>;
}

/** Makefile text with continuations joined and comments dropped. */
function logicalLines(text: string): string[] {
  return text
    .replace(/\\\r?\n/g, ' ')
    .split('\n')
    // eslint-disable-next-line regexp/no-super-linear-move -- the operator's kernel tree, not patch input
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean);
}

/** `obj-$(CONFIG_X) += a.o b/`, `foo-objs := a.o`, `foo-y += a.o`, `foo-$(CONFIG_Y) += b.o`. */
// eslint-disable-next-line regexp/no-super-linear-backtracking -- one logical line of the operator's kernel tree, not patch input
const ASSIGN = /^([A-Za-z0-9_.-]+?)-(y|m|objs|\$\(CONFIG_([A-Za-z0-9_]+)\))\s*(?::=|\+=|=)\s*(.*)$/;

export function parseMakefile(text: string): DirRules {
  const objects = new Map<string, string[]>();
  const composites = new Map<string, Set<string>>();
  for (const line of logicalLines(text)) {
    const m = ASSIGN.exec(line);
    if (!m) continue;
    const [, name, sel, config, rhs] = m as unknown as [string, string, string, string | undefined, string];
    const objs = rhs.split(/\s+/).filter((w) => w.endsWith('.o'));
    if (name === 'obj') {
      const how = config ?? sel;
      for (const o of objs) objects.set(o, [...(objects.get(o) ?? []), how]);
    } else {
      const set = composites.get(name) ?? new Set<string>();
      for (const o of objs) set.add(o);
      composites.set(name, set);
    }
  }
  return { objects, composites };
}

/** `config X` / `menuconfig X` followed by its type line, in one Kconfig text. */
export function parseKconfig(text: string): Map<string, 'tristate' | 'bool'> {
  const out = new Map<string, 'tristate' | 'bool'>();
  let current: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const c = /^(?:menu)?config\s+([A-Za-z0-9_]+)\s*$/.exec(line);
    if (c) {
      current = c[1];
      continue;
    }
    if (!current) continue;
    const t = /^(?:def_)?(tristate|bool)\b/.exec(line);
    if (t) {
      if (!out.has(current)) out.set(current, t[1] as 'tristate' | 'bool');
      current = undefined;
    } else if (/^(choice|endchoice|menu|endmenu|if|endif|source|comment)\b/.test(line)) current = undefined;
  }
  return out;
}

export class Kbuild {
  private readonly dirs = new Map<string, DirRules | null>();
  private readonly kconfigs = new Map<string, Map<string, 'tristate' | 'bool'>>();
  private readonly kinds = new Map<string, BuildKind | undefined>();

  constructor(private readonly root: string) {}

  private rules(dir: string): DirRules | null {
    if (this.dirs.has(dir)) return this.dirs.get(dir)!;
    let text = '';
    for (const f of ['Kbuild', 'Makefile']) {
      const p = join(this.root, dir, f);
      try {
        if (existsSync(p) && statSync(p).isFile()) text += `${readFileSync(p, 'utf8')}\n`;
      } catch {
        // unreadable: as if absent
      }
    }
    const r = text ? parseMakefile(text) : null;
    this.dirs.set(dir, r);
    return r;
  }

  /** Kconfig symbols defined in a directory's Kconfig files. */
  private kconfigOf(dir: string): Map<string, 'tristate' | 'bool'> {
    const hit = this.kconfigs.get(dir);
    if (hit) return hit;
    const out = new Map<string, 'tristate' | 'bool'>();
    let names: string[] = [];
    try {
      names = readdirSync(join(this.root, dir)).filter((n) => /^Kconfig(\.|$)/.test(n));
    } catch {
      // no such directory
    }
    for (const n of names) {
      try {
        for (const [k, v] of parseKconfig(readFileSync(join(this.root, dir, n), 'utf8'))) if (!out.has(k)) out.set(k, v);
      } catch {
        // unreadable
      }
    }
    this.kconfigs.set(dir, out);
    return out;
  }

  /** The type of a config symbol: its Kconfig is usually in the directory or one above it. */
  private symbolType(symbol: string, fromDir: string): 'tristate' | 'bool' | undefined {
    for (let d = fromDir; ; d = posix.dirname(d)) {
      const t = this.kconfigOf(d === '.' ? '' : d).get(symbol);
      if (t) return t;
      if (d === '.' || d === '' || d === '/') return undefined;
    }
  }

  private kindOfSelection(how: string[], dir: string): BuildKind | undefined {
    let known = false;
    for (const h of how) {
      if (h === 'm') return 'module';
      if (h === 'y') {
        known = true;
        continue;
      }
      const t = this.symbolType(h, dir);
      if (t === 'tristate') return 'module';
      if (t === 'bool') known = true;
    }
    return known ? 'builtin' : undefined;
  }

  /**
   * The object the file is linked into (`drivers/net/netdevsim/netdevsim` for health.c, the file's
   * own object when it stands alone): files of one module share it.
   */
  moduleOf(path: string): string | undefined {
    const dir = dirname(path) === '.' ? '' : dirname(path);
    const obj = `${posix.basename(path).replace(/\.c$/, '')}.o`;
    const rules = this.rules(dir);
    if (!rules) return undefined;
    if (rules.objects.has(obj)) return posix.join(dir, obj.replace(/\.o$/, ''));
    for (const [name, members] of rules.composites) if (members.has(obj) && rules.objects.has(`${name}.o`)) return posix.join(dir, name);
    return undefined;
  }

  /** Can the file (a path relative to the tree) be built into a module? */
  kindOf(path: string): BuildKind | undefined {
    if (this.kinds.has(path)) return this.kinds.get(path);
    const dir = dirname(path) === '.' ? '' : dirname(path);
    const obj = `${posix.basename(path).replace(/\.c$/, '')}.o`;
    const rules = this.rules(dir);
    let kind: BuildKind | undefined;
    if (rules) {
      const direct = rules.objects.get(obj);
      if (direct) kind = this.kindOfSelection(direct, dir);
      else {
        for (const [name, members] of rules.composites) {
          if (!members.has(obj)) continue;
          const how = rules.objects.get(`${name}.o`);
          if (!how) continue;
          const k = this.kindOfSelection(how, dir);
          if (k === 'module' || kind === undefined) kind = k;
          if (kind === 'module') break;
        }
      }
    }
    this.kinds.set(path, kind);
    return kind;
  }
}
