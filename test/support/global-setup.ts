import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

// Jest loads this file (and global-teardown.ts) through plain CommonJS `require`, where relative
// `.js` imports of TypeScript files do not resolve. So this file imports packages only, and the
// test-side helpers import their constants and Redis helpers from here instead.

export const ADMIN_DATABASE_URL =
  process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The environment variables through which this setup hands the run's resources to test files. */
export const TEST_ENV_KEYS = {
  databaseUrl: 'TEST_DATABASE_URL',
  databaseName: 'TEST_DATABASE_NAME',
  redisUrl: 'TEST_REDIS_URL',
  redisPrefix: 'TEST_REDIS_PREFIX',
  jwtSecret: 'TEST_JWT_SECRET',
  /** A temporary folder where test helpers record the child processes they start. */
  runDir: 'TEST_RUN_DIR',
} as const;

const CLEANUP = Symbol.for('session-auth.e2e.cleanup');

/**
 * Creates the run's throw-away database, picks its Redis key prefix and JWT secret, and leaves a
 * cleanup function for the global teardown (jest runs both in the same parent process; globals set
 * here are visible there, and the environment variables reach every test file).
 */
export default async function globalSetup(): Promise<void> {
  const databaseName = `session_auth_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  const redisPrefix = `sa-test-${randomBytes(6).toString('hex')}:`;
  const runDir = mkdtempSync(path.join(tmpdir(), 'session-auth-e2e-'));

  await withAdmin((admin) => admin.query(`CREATE DATABASE "${databaseName}"`));

  process.env[TEST_ENV_KEYS.databaseName] = databaseName;
  process.env[TEST_ENV_KEYS.databaseUrl] = withDatabase(ADMIN_DATABASE_URL, databaseName);
  process.env[TEST_ENV_KEYS.redisUrl] = DEFAULT_REDIS_URL;
  process.env[TEST_ENV_KEYS.redisPrefix] = redisPrefix;
  process.env[TEST_ENV_KEYS.jwtSecret] = randomBytes(48).toString('base64url');
  process.env[TEST_ENV_KEYS.runDir] = runDir;

  (globalThis as Record<symbol, unknown>)[CLEANUP] = () =>
    cleanUp(databaseName, DEFAULT_REDIS_URL, redisPrefix, runDir);
}

/**
 * Records a child process (a demo instance, a redis-server) until it exits, so the teardown can
 * kill what a failed suite did not stop. (A `process.on('exit')` hook inside a test file never
 * runs: jest gives test files their own `process` object.)
 */
export function trackChildProcess(child: ChildProcess): void {
  const runDir = process.env[TEST_ENV_KEYS.runDir];
  if (!runDir || child.pid === undefined) return;
  const file = path.join(runDir, `child-${child.pid}`);
  writeFileSync(file, '');
  child.once('exit', () => rmSync(file, { force: true }));
}

/** Kills the recorded child processes that are still running; returns their pids. */
async function killStrayChildren(runDir: string): Promise<number[]> {
  const pids = readdirSync(runDir)
    .filter((name) => name.startsWith('child-'))
    .map((name) => Number(name.slice('child-'.length)))
    .filter((pid) => signal(pid, 'SIGKILL'));
  const deadline = Date.now() + 5000;
  while (pids.some((pid) => signal(pid, 0)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return pids;
}

function signal(pid: number, name: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops stray children first (so nothing writes while we clean), then drops the database and
 * deletes the Redis keys, trying both even when one fails.
 */
async function cleanUp(
  databaseName: string,
  redisUrl: string,
  redisPrefix: string,
  runDir: string,
): Promise<void> {
  const strays = await killStrayChildren(runDir);
  rmSync(runDir, { recursive: true, force: true });
  if (strays.length > 0) {
    console.warn(`e2e teardown: killed ${strays.length} child process(es) a suite left running`);
  }
  const results = await Promise.allSettled([
    // FORCE ends the connections a crashed demo instance may have left open.
    withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`)),
    withRedis(redisUrl, (redis) => deleteKeys(redis, redisPrefix)),
  ]);
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
  if (failures.length > 0) {
    throw new AggregateError(failures, 'the e2e global teardown could not clean up everything');
  }
}

/** Runs `work` with a short-lived client on the server's admin database, then disconnects it. */
export async function withAdmin<T>(work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({
    connectionString: ADMIN_DATABASE_URL,
    connectionTimeoutMillis: 5000,
  });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** The same server URL with another database name. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Runs `work` with a client that fails fast instead of retrying, then disconnects it. */
export async function withRedis<T>(url: string, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3000,
    commandTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

/** Every key under `prefix`, found with SCAN (never KEYS, which blocks a shared server). */
export async function scanKeys(redis: Redis, prefix: string): Promise<string[]> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    batch.forEach((key) => keys.add(key));
    cursor = next;
  } while (cursor !== '0');
  return [...keys];
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  // An empty or short prefix could match keys that are not ours on a shared server.
  if (!prefix.startsWith('sa-test-')) throw new Error(`refusing to delete keys under '${prefix}'`);
  const keys = await scanKeys(redis, prefix);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
}
