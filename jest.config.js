/** Jest in native ESM mode (Nest 12 ships ES modules only); SWC strips types and keeps decorator metadata. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
    },
    module: { type: 'es6' },
  },
];

/** What both projects share: how TypeScript and the packages' names are read. */
const shared = {
  rootDir: import.meta.dirname,
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    // Specs and e2e helpers import the package by name; jest reads its sources, not its dist/.
    '^nestjs-session-auth$': '<rootDir>/libs/session-auth/src/index.ts',
    '^nestjs-session-auth/socket-events$': '<rootDir>/libs/session-auth/src/socket-events.ts',
    '^nestjs-session-auth/testing$': '<rootDir>/libs/session-auth/src/testing/index.ts',
    '^nestjs-session-auth-client$': '<rootDir>/libs/session-auth-client/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

/**
 * Two projects. `unit` (npm run test:unit): the `*.spec.ts` specs beside the code of both packages
 * and the demo, with fakes only: no build, no PostgreSQL, no Redis. `e2e` (npm run test:e2e): the
 * suites in test/, against the built demo and real services; its global setup creates the run's
 * database and Redis prefix.
 */
export default {
  // A global option: jest ignores it inside a project.
  testTimeout: 30000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      // Suites in test/, and those beside the code that need a live service (the Redis adapters, the
      // repositories against a PostgreSQL database of their own).
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts', '<rootDir>/libs/**/*.e2e-spec.ts'],
      // The starter apps' own e2e tests, which the consumer tests run inside the apps they make.
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/consumer/starters/apps/'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
