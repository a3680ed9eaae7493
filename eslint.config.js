// Lint: TypeScript rules plus the dependency direction of docs/contributing.md ("Layers").
// startup → http, cli → engine, detect → service → store, respond, notify → domain.
// domain imports nothing outside itself; nothing imports http or cli (but the start-up steps).
import tseslint from 'typescript-eslint';
import importPlugin from 'eslint-plugin-import';

const zone = (target, from, message) => ({ target, from, message });

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'web/dist/**', '.tmp/**', 'data/**', 'test-output/**', '**/*.d.ts'] },
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts'],
    plugins: { import: importPlugin },
    settings: { 'import/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import/no-restricted-paths': [
        'error',
        {
          zones: [
            // domain/ is pure; errors.ts (one error type, no I/O) is its only outside import.
            {
              target: './src/domain/**/!(*.test).ts',
              from: './src',
              except: ['./domain', './errors.ts'],
              message: 'domain/ is pure: it imports nothing outside domain/ (but errors.ts)',
            },
            zone('./src/store', './src/{service,http,cli,detect,engine,startup,respond,notify,cluster}/**/*', 'store/ sits below service/'),
            zone('./src/respond', './src/{service,http,cli,detect,engine,startup,cluster}/**/*', 'respond/ sits below service/'),
            zone('./src/notify', './src/{service,http,cli,detect,engine,startup,respond,cluster}/**/*', 'notify/ sits below service/'),
            zone('./src/service', './src/{http,cli,detect,engine,startup,cluster}/**/*', 'service/ must not import the layers above it'),
            zone('./src/{detect,engine,cluster}', './src/startup/**/*', 'engine/, detect/ and cluster/ sit below the start-up steps'),
            // cluster/ (partitioned detection on Redis) sits at the detect/ level: detect/ stays unaware of it.
            zone('./src/detect', './src/cluster/**/*', 'detect/ does not import cluster/ (the detection engine chooses the pipeline)'),
            zone('./src/!(http|startup)/**/*', './src/http/**/*', 'nothing imports http/ (only the start-up steps)'),
            zone('./src/!(cli)/**/*', './src/cli/**/*', 'nothing imports cli/'),
            zone('./sdk', './src', 'the SDK ships to other applications: no server code'),
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: [
      'src/config.ts',
      'src/**/*.test.ts',
      'src/test-harness.ts',
      'src/store/test-databases.ts',
      'src/cli/main.ts',
      'src/cli/replay-main.ts',
    ],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'only config.ts (and the CLI entry) read process.env' },
      ],
    },
  },
);
