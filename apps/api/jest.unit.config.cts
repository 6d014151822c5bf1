/**
 * The API's unit tier (`npm run test:unit`): the specs next to the sources, nothing from
 * apps/api/test. A setup file makes child processes and network connections throw, so a spec
 * that needs real parts fails loudly here instead of slowing the tier down: it belongs in
 * apps/api/test (the integration tier, run by `npm test`).
 */
const base = require('./jest.config.cts');

module.exports = {
  ...base,
  displayName: 'api-unit',
  roots: ['<rootDir>/src'],
  setupFiles: ['<rootDir>/src/common/testing/unit-guard.ts'],
};
