// Type-aware lint for the SDK (see ../shared/reference/style.md §3.14 for the reasons behind each rule).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', 'src/api/gen/**', 'scratch/**', 'coverage/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Abort reasons are passed on as they are (style.md §3.5), and they are typed unknown.
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      // `async` without `await` is how a method turns a synchronous throw into a rejection: keep it.
      '@typescript-eslint/require-await': 'off',
      'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }],
      'max-params': ['error', 4],
      complexity: ['error', 15],
      'no-restricted-properties': [
        'error',
        { object: 'test', property: 'only', message: 'Do not commit .only' },
        { object: 'describe', property: 'only', message: 'Do not commit .only' },
      ],
      'no-restricted-imports': ['error', { patterns: ['rxjs/internal/*', 'rxjs/operators'] }],
    },
  },
  {
    // grpc-js belongs to the api edge; everything else talks to chains.
    files: ['src/chain/**', 'src/elements/**', 'src/testing/**'],
    rules: {
      'no-console': 'error',
      'no-restricted-imports': [
        'error',
        { paths: ['@grpc/grpc-js'], patterns: ['rxjs/internal/*', 'rxjs/operators'] },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**', 'bench/**', 'scripts/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      'max-lines': 'off',
      complexity: 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
