// Lint for regex hygiene (issue 13): the project reads hostile input (mail, diffs, kernel C)
// with regular expressions, and three of its bugs were backtracking blow-ups. The two
// eslint-plugin-regexp rules below find expressions whose matching time can grow faster than
// linearly with the input; a hit is fixed or, where the input is bounded, disabled on its line
// with the reason. Syntax only: no type information is needed, so no tsconfig project is loaded.
// `npm run lint` runs it; test/lint.test.ts runs it inside `npm test`.
import tseslint from 'typescript-eslint';
import regexp from 'eslint-plugin-regexp';

export default [
  {
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'corpus/**', '**/fixtures/**'],
  },
  {
    files: ['src/**/*.ts', 'rules/**/*.ts', 'scripts/**/*.ts', 'scripts/**/*.mjs', 'scripts/**/*.js'],
    languageOptions: {
      parser: tseslint.parser,
      ecmaVersion: 2022,
      sourceType: 'module',
    },
    plugins: { regexp },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'regexp/no-super-linear-backtracking': 'error',
      'regexp/no-super-linear-move': 'error',
    },
  },
];
