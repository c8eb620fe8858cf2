// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules', 'dist', '.data', 'bench/results', 'test/fixtures', 'specs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's describe/it return promises the runner itself awaits.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
    },
  },
  {
    // Activities are what workflows call; the workflows' own code reaches them as types only (the reverse would
    // pull workflow modules, and their bundle-only imports, into the worker's Node context).
    files: ['src/activities/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+workflows(/|$)',
              allowTypeImports: true,
              message: 'Activities import workflow code as types only.',
            },
          ],
        },
      ],
    },
  },
  {
    // Workflow code is replayed: it must stay deterministic and free of I/O.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Workflows must not use Node built-ins; use an activity.',
          })),
          patterns: [
            {
              // At any depth (`../activities/index.js`, `../../db/pool.js`, ...), the capability folders of
              // src/workflows itself aside; the one pure constant the runbooks share with the webhook receiver is
              // allowed.
              regex: '^(\\.\\./)+(activities|db|integrations|api|config)(/(?!highlevel/webhook-window\\.js$)|\\.js$|$)',
              allowTypeImports: true,
              message: 'Workflows import activities and I/O modules as types only.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'Workflows get settings through their arguments.' },
        { name: 'fetch', message: 'Workflows do no I/O; use an activity.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use uuid4() from @temporalio/workflow.' },
        { object: 'Date', property: 'now', message: 'Workflow time comes from workflowInfo() or timers.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Workflow time comes from workflowInfo() or timers.',
        },
      ],
    },
  },
);
