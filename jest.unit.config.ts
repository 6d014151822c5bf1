import type { Config } from 'jest';

/**
 * `npm run test:unit`: the fast tier. No build, no child process, no network: the API's rules
 * against in-memory fakes and a fake clock, the pure libs, and the web client's components and
 * services under jsdom. `npm test` (jest.config.ts) runs these and every integration and
 * browser suite after a build.
 */
const config: Config = {
  projects: [
    '<rootDir>/apps/api/jest.unit.config.cts',
    '<rootDir>/libs/sync-core/jest.config.cts',
    '<rootDir>/libs/contracts/jest.config.cts',
    '<rootDir>/apps/web/jest.config.cts',
  ],
};

export default config;
