// Lint: ESLint's recommended rules plus typescript-eslint's, for the server, tests, benchmarks and the web UI, and the
// dialect rule (STYLE.md, habit 1): outside src/db/ and the delivery run store's implementations nothing branches on
// the database — no driver or Kysely dialect imports, no comparisons with 'postgres'/'sqlite', no adapter checks —
// and every write goes through src/db/transaction.ts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** The files allowed to know which database they talk to. */
export const DIALECT_AWARE_FILES = ['src/db/**', 'src/delivery/store/sqlite.ts', 'src/delivery/store/postgres.ts'];

const DIALECT_NAMES = '/^(postgres|postgresql|sqlite)$/i';
const ADAPTER_NAMES = '/^(Postgres|Sqlite)(Adapter|Dialect|Driver|Introspector|QueryCompiler)$/';
const dialectMessage = 'Only src/db/ and the delivery run store implementations know the database dialect: use a function of src/db/dialect.ts or the run store.';

export const dialectRule = {
  files: ['src/**/*.ts', 'src/**/*.tsx'],
  ignores: DIALECT_AWARE_FILES,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: [
          { name: 'pg', message: dialectMessage },
          { name: 'better-sqlite3', message: dialectMessage },
          {
            name: 'kysely',
            importNames: ['PostgresAdapter', 'SqliteAdapter', 'PostgresDialect', 'SqliteDialect', 'PostgresDriver', 'SqliteDriver', 'PostgresQueryCompiler', 'SqliteQueryCompiler'],
            message: dialectMessage,
          },
        ],
      },
    ],
    'no-restricted-syntax': [
      'error',
      { selector: `BinaryExpression[operator=/^[!=]==?$/] > Literal[value=${DIALECT_NAMES}]`, message: dialectMessage },
      { selector: `BinaryExpression[operator=/^[!=]==?$/] > TemplateLiteral > TemplateElement[value.cooked=${DIALECT_NAMES}]`, message: dialectMessage },
      { selector: `SwitchCase > Literal.test[value=${DIALECT_NAMES}]`, message: dialectMessage },
      { selector: `BinaryExpression[operator='instanceof'] > Identifier.right[name=${ADAPTER_NAMES}]`, message: dialectMessage },
      { selector: `BinaryExpression[operator='instanceof'] > MemberExpression.right > Identifier.property[name=${ADAPTER_NAMES}]`, message: dialectMessage },
      // One way to write (STYLE.md): Kysely's own transaction() skips SQLite's group commit and the after-commit signals.
      {
        selector: "CallExpression[arguments.length=0] > MemberExpression.callee > Identifier.property[name='transaction']",
        message: 'Write through inTransaction (or writeTransaction) of src/db/transaction.ts, not db.transaction(): one way to write, with group commit on SQLite.',
      },
    ],
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'bench/results/**', 'docs/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  dialectRule,
);
