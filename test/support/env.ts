import { TEST_ENV_KEYS } from './global-setup.js';

export interface TestEnv {
  /** The per-run database every demo instance of the run shares. */
  databaseUrl: string;
  /** The shared Redis; every key a test writes there starts with `redisPrefix`. */
  redisUrl: string;
  redisPrefix: string;
  /** The demo's JWT secret, so tests can forge tokens signed with the real key. */
  jwtSecret: string;
}

/** What the global setup published for this run; fails loudly when a test runs without it. */
export function testEnv(): TestEnv {
  const read = (key: string): string => {
    const value = process.env[key];
    if (!value) throw new Error(`${key} is not set: run the e2e tests through jest (globalSetup)`);
    return value;
  };
  return {
    databaseUrl: read(TEST_ENV_KEYS.databaseUrl),
    redisUrl: read(TEST_ENV_KEYS.redisUrl),
    redisPrefix: read(TEST_ENV_KEYS.redisPrefix),
    jwtSecret: read(TEST_ENV_KEYS.jwtSecret),
  };
}
