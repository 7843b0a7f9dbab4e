import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'bench/.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
      'no-empty-pattern': 'off',
    },
  },
  {
    // The engine runs in a plain Node process (and the CLI, and tests): it must never import Electron.
    files: ['main/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'main/engine must not import Electron (DESIGN.md §2).' }], patterns: [{ group: ['electron/*'], message: 'main/engine must not import Electron.' }] }],
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.name='require'][arguments.0.value='electron']", message: 'main/engine must not require Electron.' }],
    },
  },
  {
    // The renderer never touches files or Node: only window.studio.
    files: ['renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', 'fs', 'path', 'child_process', 'electron'], message: 'The renderer talks only to window.studio.' }] }],
    },
  },
);
