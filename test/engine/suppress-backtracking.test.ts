// Issue 13 (fuzzing): the inline-suppression mark was read with one regex in which the rule list,
// the blanks around it and the reason could share a run of spaces; it runs on every line of every
// file, and `/* modreview-ignore: a<2,000 spaces>X */` took 12 s (cubic). Backtracking is counted
// here, not timed: see test/helpers/backtracking.ts.
import { describe, expect, it } from 'vitest';
import { parseSuppressions, readMark } from '../../src/engine/suppress.js';
import { overBudget, srcModule } from '../helpers/backtracking.js';

const SPACES = ' '.repeat(2000);

describe('modreview-ignore marks on hostile lines', () => {
  it('no expression backtracks past a small multiple of the line: marks, and the blank lines after one', async () => {
    const source = [
      `/* modreview-ignore: a${SPACES}X */`,
      `\t/* modreview-ignore: a${SPACES}-- ${SPACES}why${SPACES}*/`,
      // After a mark alone on its line, the lines up to the next code line are skipped over.
      `${SPACES}x`,
      `/* modreview-ignore: ${'a,'.repeat(1000)}`,
    ].join('\n');
    const script = `
      import { parseSuppressions } from ${JSON.stringify(srcModule('engine/suppress.ts'))};
      parseSuppressions(${JSON.stringify(source)});
    `;
    expect(await overBudget(script, 20_000)).toEqual([]);
  });

  it('reads what it read before', () => {
    expect(readMark(`/* modreview-ignore: a${SPACES}X */`)).toBeUndefined(); // 'X' is no rule id
    expect(readMark(`/* modreview-ignore: a${SPACES}-- ${SPACES}why${SPACES}*/`)).toEqual({ rules: ['a'], reason: 'why' });
    expect(readMark('x; // modreview-ignore:init-error-unwind,module-init-eexist')).toEqual({ rules: ['init-error-unwind', 'module-init-eexist'] });
    expect(readMark('/* modreview-ignore: a-b --reason -- with dashes */ y')).toEqual({ rules: ['a-b'], reason: 'reason -- with dashes' });
    expect(readMark('/* modreview-ignore: foo_bar -- x */')).toBeUndefined();
    expect(readMark('/* modreview-ignore: -- no rule */')).toBeUndefined();
    const s = parseSuppressions(['/* modreview-ignore: a -- r */', `${SPACES}`, '// note', '/* more */', `${SPACES}x`].join('\n'));
    expect(s).toEqual([{ line: 1, covers: [1, 5], rules: ['a'], reason: 'r' }]);
  });
});
