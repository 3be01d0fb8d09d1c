// Subject-line tags, read the way b4 (LoreSubject) reads them, so a series assembled here matches
// what maintainers see in b4: `[RFC PATCH net-next v3 02/10] dm: foo`.
import type { SubjectInfo } from './types.js';

/** Reply/forward prefixes in the languages mail clients commonly use (Aw: is German Outlook). */
const REPLY_PREFIX = /^\s*(?:re|aw|sv|antw|vs|fwd?|wg|tr)\s*(?:\[\d+\]\s*)?:\s*/i;

export function parseSubject(raw: string): SubjectInfo {
  let s = (raw ?? '').replace(/\s+/g, ' ').trim();
  let reply = false;

  // Strip any number of `Re:`/`Fwd:`; b4 also takes a 2-3 letter `Xx: [` as a reply marker.
  for (;;) {
    const m = REPLY_PREFIX.exec(s) ?? /^\w{2,3}:\s*(?=\[)/.exec(s);
    if (!m) break;
    reply = true;
    s = s.slice(m[0].length);
  }

  // A leading list tag such as `[dm-devel]` in front of the real `[PATCH ...]` group is dropped
  // (b4: a bracket group followed by one with patch/resend/rfc). Unlike b4's regex, a group that
  // itself says RFC/PATCH/RESEND is kept, so `[RFC][PATCH 1/2]` stays an RFC.
  for (;;) {
    const m = /^\s*\[([^\]]*)\]\s*(\[[^\]]*(?:patch|resend|rfc).*)$/i.exec(s);
    if (!m || /patch|resend|rfc/i.test(m[1]!)) break;
    s = m[2]!;
  }
  // Brackets inside brackets are flattened: `[PATCH [net-next] 1/2]` → `[PATCH net-next 1/2]`.
  for (;;) {
    const next = s.replace(/^\s*\[([^\]]*)\[([^[\]]*)\]/, '[$1$2]').replace(/^\s*\[([^\]]*)\]([^[\]]*)\]/, '[$1$2]');
    if (next === s) break;
    s = next;
  }
  // A reply marker can also sit after a list tag: `[dm-devel] Re: [PATCH]`.
  const late = /^((?:\[[^\]]*\]\s*)+)(re|aw|fwd?)\s*:\s*/i.exec(s);
  if (late) {
    reply = true;
    s = s.slice(late[0].length);
  }

  const info: SubjectInfo = {
    subject: '',
    prefixes: [],
    version: 1,
    index: 1,
    total: 1,
    rfc: false,
    resend: false,
    reply,
    isPatch: false,
  };

  for (;;) {
    const m = /^\s*\[([^\]]*)\]\s*/.exec(s);
    if (!m) break;
    s = s.slice(m[0].length);
    // `[PATCHv3]` and `[PATCH-v3]` mean `[PATCH v3]`.
    const group = m[1]!.replace(/(patch)[-_]?(v\d+)/gi, '$1 $2');
    for (const word of group.split(/\s+/)) {
      const chunk = word.replace(/^[,;]+|(?<![,;])[,;]+$/g, '');
      if (!chunk) continue;
      let mm: RegExpExecArray | null;
      if ((mm = /^(\d{1,4})\/(\d{1,4})$/.exec(chunk))) {
        info.index = Number(mm[1]);
        info.total = Number(mm[2]);
      } else if ((mm = /^v(\d+)$/i.exec(chunk))) {
        info.version = Number(mm[1]);
      } else if (/^patch/i.test(chunk) && /^patch(es|set)?$/i.test(chunk)) {
        info.isPatch = true;
      } else if (/^rfc/i.test(chunk)) {
        info.rfc = true;
        info.isPatch = true;
      } else if (/^resend/i.test(chunk)) {
        info.resend = true;
      } else {
        info.prefixes.push(chunk);
      }
    }
  }
  info.subject = s.trim();
  return info;
}
