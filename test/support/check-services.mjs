// Runs before `npm run test:e2e` (pretest:e2e): fails fast, with a hint, when PostgreSQL, Redis, redis-server,
// redis-cli, pgbouncer or Chromium is not there, instead of letting every e2e suite time out one
// after the other.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { URL } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TIMEOUT_MS = 3000;
// The browser suites drive Debian's Chromium (no browser download); the outage suites start their
// own redis-server, the cluster suite a Redis Cluster (redis-cli joins it), the pooler suite
// Debian's pgbouncer (in /usr/sbin, not on every user's PATH).
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PGBOUNCER_PATH = process.env.PGBOUNCER_PATH ?? '/usr/sbin/pgbouncer';

function missingTools() {
  const missing = [];
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
  } catch {
    missing.push(
      `Chromium at ${CHROMIUM_PATH}: install it with  apt-get install chromium  (or set CHROMIUM_PATH)`,
    );
  }
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    missing.push('redis-server on the PATH: install it with  apt-get install redis-server');
  }
  try {
    execFileSync('redis-cli', ['--version'], { stdio: 'ignore' });
  } catch {
    missing.push(
      'redis-cli on the PATH (test/cluster): install it with  apt-get install redis-tools',
    );
  }
  try {
    execFileSync(PGBOUNCER_PATH, ['--version'], { stdio: 'ignore' });
  } catch {
    missing.push(
      `pgbouncer at ${PGBOUNCER_PATH} (test/pgbouncer): install it with  apt-get install pgbouncer  (or set PGBOUNCER_PATH)`,
    );
  }
  return missing;
}

/** Resolves to null when the service answers, or to the error message when it does not. */
async function checkPostgres() {
  const client = new pg.Client({
    connectionString: DATABASE_URL,
    connectionTimeoutMillis: TIMEOUT_MS,
    query_timeout: TIMEOUT_MS,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRedis() {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: TIMEOUT_MS,
    commandTimeout: TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // Without a listener ioredis prints every connection error as "Unhandled error event"; the
  // socket error is also more telling than the "Connection is closed." that connect() rejects with.
  let socketError;
  redis.on('error', (error) => (socketError ??= error));
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    return (socketError ?? error)?.message ?? String(error);
  } finally {
    redis.disconnect();
  }
}

/** Hides the password, if any, when a URL is printed. */
function redact(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

const [postgresError, redisError] = await Promise.all([checkPostgres(), checkRedis()]);
const missing = [];
if (postgresError) missing.push(`PostgreSQL at ${redact(DATABASE_URL)}: ${postgresError}`);
if (redisError) missing.push(`Redis at ${redact(REDIS_URL)}: ${redisError}`);

if (missing.length > 0) {
  console.error('The e2e tests need PostgreSQL and Redis, and these do not answer:');
  for (const line of missing) console.error(`  - ${line}`);
  console.error('Start them with:  docker compose up -d postgres redis');
  console.error('(or point DATABASE_URL / REDIS_URL at running servers)');
  process.exit(1);
}
const tools = missingTools();
if (tools.length > 0) {
  console.error('The e2e tests need these programs:');
  for (const line of tools) console.error(`  - ${line}`);
  process.exit(1);
}
console.log(`Services OK: PostgreSQL at ${redact(DATABASE_URL)}, Redis at ${redact(REDIS_URL)}`);
