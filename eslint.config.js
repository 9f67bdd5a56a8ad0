// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'manifests/**', 'test-results/**', '**/dist/**', '.local/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      // TypeScript itself reports undefined names, with the right globals for Node and the browser.
      'no-undef': 'off',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'local/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          // A component started beside one that fails is never assigned, so nothing stops it and its child process
          // keeps the worker alive; startTogether() stops the started ones first.
          selector:
            "CallExpression[callee.object.name='Promise'][callee.property.name='all'] > ArrayExpression > CallExpression[callee.name=/^start/]",
          message:
            'Start components with startTogether() from @cf/embedded/process: it stops the started ones when one fails.',
        },
      ],
    },
  },
);
