import baseConfig from '../../eslint.config.mjs';

// sync-core is pure TypeScript: it imports nothing but its own files (relative paths), and
// reads no ambient clock, randomness, timer, DOM or Node API — time comes in as an argument.
const relativeOnly = (allowed) => [
  'error',
  {
    patterns: [
      {
        regex: `^(?!\\.{1,2}(/|$)${allowed.map((name) => `|${name}$`).join('')})`,
        message: 'sync-core imports nothing: use a relative import inside the lib.',
      },
    ],
  },
];

const impure = [
  'window',
  'document',
  'navigator',
  'performance',
  'process',
  'Buffer',
  'require',
  'setTimeout',
  'setInterval',
  'clearTimeout',
  'clearInterval',
  'requestAnimationFrame',
  'Date',
  'console',
  'fetch',
  'localStorage',
  'sessionStorage',
].map((name) => ({
  name,
  message: 'sync-core is pure: take time and I/O results as arguments.',
}));

export default [
  ...baseConfig,
  {
    files: ['**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': relativeOnly([]),
      'no-restricted-globals': ['error', ...impure],
      'no-restricted-properties': [
        'error',
        {
          object: 'Math',
          property: 'random',
          message: 'Use the seeded PRNG (testing/prng.ts) so runs are reproducible.',
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': relativeOnly(['fast-check']),
    },
  },
];
