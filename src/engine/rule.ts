// The rule factory, in the manner of typescript-eslint's createRule: a rule is data (id,
// severity, rationale, precedents, message templates) plus one pure check over a RuleContext.
import type { FixBuilder, RawFinding, Rule, RuleContext, RuleMeta } from './types.js';

export interface RuleDefinition<M extends Record<string, string>> extends RuleMeta {
  /** Message templates with `{name}` placeholders, filled by `format`. */
  messages: M;
  check(ctx: RuleContext, format: (id: keyof M, data?: Record<string, string | number>) => string): RawFinding[];
  /** The rule's fix builder (rules/<id>/fix.ts), when it has one. */
  fix?: FixBuilder;
}

export interface DefinedRule<M extends Record<string, string> = Record<string, string>> extends Rule {
  messages: M;
}

export function fillTemplate(template: string, data: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in data ? String(data[k]) : m));
}

export function createRule<M extends Record<string, string>>(def: RuleDefinition<M>): DefinedRule<M> {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(def.id)) throw new Error(`bad rule id ${def.id}`);
  if (!def.precedents.length && !def.noPrecedent) throw new Error(`rule ${def.id}: cite a precedent or say why there is none`);
  for (const p of def.precedents) {
    if (!/^[0-9a-f]{12}$/.test(p.commit)) throw new Error(`rule ${def.id}: precedent ${p.commit} is not a 12-char SHA`);
  }
  const format = (id: keyof M, data?: Record<string, string | number>) => fillTemplate(def.messages[id] as string, data);
  return {
    ...def,
    check: (ctx: RuleContext) => def.check(ctx, format),
  };
}
