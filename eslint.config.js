import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const CORE_IS_PURE = 'core is pure; move I/O to the API adapters';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/drizzle/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'no-console': 'error',
    },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: CORE_IS_PURE },
            { group: ['hono', 'hono/*', '@hono/*'], message: CORE_IS_PURE },
            { group: ['@trpc/*'], message: CORE_IS_PURE },
            { group: ['drizzle-orm', 'drizzle-orm/*'], message: CORE_IS_PURE },
            {
              group: ['pg', '@electric-sql/*', 'mssql', 'ioredis', '@upstash/*'],
              message: CORE_IS_PURE,
            },
            {
              group: ['fs', 'path', 'http', 'https', 'net', 'crypto', 'os', 'child_process'],
              message: CORE_IS_PURE,
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: CORE_IS_PURE },
        { name: 'Buffer', message: CORE_IS_PURE },
        { name: 'fetch', message: CORE_IS_PURE },
      ],
    },
  },
  {
    files: ['bin/**/*.mjs', '**/scripts/**/*.mjs'],
    languageOptions: { globals: { URL: 'readonly', process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['**/*.test.ts', '**/test/**', 'bench/**', 'bin/**', 'scripts/**'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
