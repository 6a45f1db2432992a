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

export default {
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
  // libs/** holds both packages' unit specs (nestjs-session-auth and nestjs-session-auth-client).
  testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30000,
};
