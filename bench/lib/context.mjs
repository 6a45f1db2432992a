// Per-run resources: a JWT secret, one fresh database and one Redis key prefix per scenario, all
// removed at the end of the run (also after a failure or Ctrl-C).
import { randomBytes } from 'node:crypto';
import { URL } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';

export const SERVER_DATABASE_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Rate limits high enough that the benchmark never meets one. */
const NO_LIMIT = '100000000';

export class BenchRun {
  constructor() {
    this.id = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    this.jwtSecret = randomBytes(32).toString('hex');
    this.databases = [];
    this.prefixes = [];
    this.pools = new Set();
    this.removed = { databases: 0, redisKeys: 0 };
  }

  async admin(fn) {
    const client = new pg.Client({ connectionString: SERVER_DATABASE_URL });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  /** Creates a database the run will drop (at the scenario's end or in cleanup); returns its URL. */
  async createDatabase(database) {
    await this.admin((client) => client.query(`CREATE DATABASE "${database}"`));
    this.databases.push(database);
    const url = new URL(SERVER_DATABASE_URL);
    url.pathname = `/${database}`;
    return url.toString();
  }

  /** A fresh database and key prefix for one scenario, and the demo environment that uses them. */
  async scenario(name) {
    const database =
      `session_auth_bench_${this.id}_${name.replace(/[^a-z0-9]/gi, '_')}`.toLowerCase();
    const databaseUrl = await this.createDatabase(database);
    const extraDatabases = [];
    const redisPrefix = `session-auth-bench:${this.id}:${name}:`;
    this.prefixes.push(redisPrefix);
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    pool.on('error', () => undefined);
    this.pools.add(pool);
    return {
      name,
      databaseUrl,
      redisPrefix,
      jwtSecret: this.jwtSecret,
      pool,
      query: (sql, params) => pool.query(sql, params).then((r) => r.rows),
      /** One more database for this scenario (e.g. for another server), dropped with the first. */
      database: async (suffix) => {
        const extra = `${database}_${suffix.replace(/[^a-z0-9]/gi, '_')}`.toLowerCase();
        extraDatabases.push(extra);
        return this.createDatabase(extra);
      },
      /** The demo's environment for this scenario; `overrides` wins. */
      env: (overrides = {}) => ({
        PORT: '0',
        DATABASE_URL: databaseUrl,
        REDIS_URL,
        REDIS_KEY_PREFIX: redisPrefix,
        JWT_SECRET: this.jwtSecret,
        ACCESS_TOKEN_TTL: '3600',
        BCRYPT_ROUNDS: '4',
        COOKIE_SECURE: 'false',
        // The scenarios read the refresh token from the body (the demo's default is `cookie`).
        REFRESH_TRANSPORT: 'both',
        RATE_LIMIT_LOGIN: NO_LIMIT,
        RATE_LIMIT_LOGIN_IP: NO_LIMIT,
        RATE_LIMIT_REFRESH: NO_LIMIT,
        BENCH_ROUTES: '1',
        // Once a year, i.e. off: only the cleanup scenario turns it on.
        CLEANUP_CRON: '0 0 1 1 *',
        // As deployed: in production the demo logs a successful request at debug, so the default
        // level writes no line per request; BENCH_REQUEST_LOGS=1 turns those lines on.
        NODE_ENV: 'production',
        LOG_LEVEL: process.env.BENCH_REQUEST_LOGS ? 'debug' : 'info',
        // Stopping an instance between scenarios need not wait for the demo's drain period.
        SHUTDOWN_DRAIN_MS: '0',
        ...overrides,
      }),
      /** Closes the pool, drops the database and deletes the keys, right after the scenario
       * (a 1M-row database left behind would keep autovacuum busy during the next one). */
      close: async () => {
        this.pools.delete(pool);
        await pool.end().catch(() => undefined);
        return this.remove([database, ...extraDatabases], [redisPrefix]);
      },
    };
  }

  /** Drops whatever the run still has (after a failure or Ctrl-C); returns what it removed. */
  async cleanup() {
    await Promise.all([...this.pools].map((pool) => pool.end().catch(() => undefined)));
    this.pools.clear();
    return this.remove([...this.databases], [...this.prefixes]);
  }

  async remove(databases, prefixes) {
    const dropped = [];
    for (const database of databases) {
      try {
        await this.admin((client) =>
          client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`),
        );
        dropped.push(database);
        this.databases = this.databases.filter((d) => d !== database);
      } catch (error) {
        process.stderr.write(`could not drop database ${database}: ${error.message}\n`);
      }
    }
    let keys = 0;
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      for (const prefix of prefixes) {
        let cursor = '0';
        do {
          const [nextCursor, found] = await redis.scan(
            cursor,
            'MATCH',
            `${prefix}*`,
            'COUNT',
            1000,
          );
          cursor = nextCursor;
          if (found.length > 0) keys += await redis.unlink(...found);
        } while (cursor !== '0');
        this.prefixes = this.prefixes.filter((p) => p !== prefix);
      }
    } catch (error) {
      process.stderr.write(`could not delete the run's Redis keys: ${error.message}\n`);
    } finally {
      redis.disconnect();
    }
    this.removed.databases += dropped.length;
    this.removed.redisKeys += keys;
    return { databases: dropped, redisKeys: keys };
  }
}
