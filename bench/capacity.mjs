// The measurements behind docs/capacity.md: seeds a scratch database with a few million rows shaped
// like the library's (sessions; refresh tokens are derived from a session's generation and nonce,
// so no token is stored), measures table and index sizes, lets the real cleanup job (a demo instance with a
// one-second cron) work through a realistic backlog at that size, and measures Redis memory per
// cached session on a redis-server of its own. Not part of `npm test`. See bench/README.md.
//
//   npm run build && node bench/capacity.mjs            # 2,000,000 sessions, about 10 minutes
//   CAPACITY_SESSIONS=500000 node bench/capacity.mjs     # smaller, faster
//   node bench/capacity.mjs --keep                       # keep the database for a look afterwards
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { URL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { REPO_ROOT, startDemo } from './lib/demo.mjs';

const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SESSIONS = Number(process.env.CAPACITY_SESSIONS ?? 2_000_000);
/** Five sessions per user, as in the plan (10M users, 50M sessions). */
const USERS = Math.max(1, Math.round(SESSIONS / 5));
/** The cleanup backlog at that size: shares of the seeded sessions. */
const EXPIRED_SHARE = 0.05;
const OLD_REVOKED_SHARE = 0.05;
const REDIS_SAMPLE = Number(process.env.CAPACITY_REDIS_KEYS ?? 200_000);
const CHUNK = 250_000;
const keep = process.argv.includes('--keep');

const log = (message) =>
  console.log(`[capacity ${new Date().toISOString().slice(11, 19)}] ${message}`);

function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin(sql) {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The demo migrates an empty database on start; its log line then carries the cleanup runs. */
async function startCleanupInstance(databaseUrl) {
  return startDemo('capacity-cleanup', {
    PORT: '0',
    DATABASE_URL: databaseUrl,
    JWT_SECRET: randomBytes(32).toString('hex'),
    CLEANUP_CRON: '* * * * * *',
    CLEANUP_LOCK_TTL: '600',
    METRICS: 'false',
  });
}

async function chunked(db, label, total, sql) {
  const started = Date.now();
  for (let from = 0; from < total; from += CHUNK) {
    await db.query(sql, [from + 1, Math.min(from + CHUNK, total)]);
    log(
      `${label}: ${Math.min(from + CHUNK, total).toLocaleString('en')} / ${total.toLocaleString('en')}`,
    );
  }
  return Date.now() - started;
}

async function seed(db) {
  const expiredFrom = Math.floor(SESSIONS * (1 - EXPIRED_SHARE - OLD_REVOKED_SHARE));
  const revokedFrom = Math.floor(SESSIONS * (1 - OLD_REVOKED_SHARE));
  // Sessions g = 1..SESSIONS: live, then expired but not yet ended, then revoked past retention
  // (the default retention is the absolute lifetime, 30 days, plus the grace window).
  // Field contents have production-like lengths (uuid user ids, a full browser user agent).
  const sessionsMs = await chunked(
    db,
    'sessions',
    SESSIONS,
    `INSERT INTO sessions (id, user_id, device_id, device_name, user_agent, ip, created_at,
       authenticated_at, last_active_at, idle_expires_at, absolute_expires_at, revoked_at, revoke_reason,
       refresh_generation, refresh_nonce, rotated_at)
     SELECT md5('s' || g)::uuid, md5('u' || (g % ${USERS}))::uuid::text, NULL,
       'Chrome on Windows', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
       '203.0.' || (g % 256) || '.' || (g % 250), now() - interval '3 days', now() - interval '3 days',
       now() - (g % 600) * interval '1 second',
       CASE WHEN g >= ${expiredFrom} AND g < ${revokedFrom} THEN now() - interval '1 minute'
            ELSE now() + interval '6 days' END,
       now() + interval '27 days',
       CASE WHEN g >= ${revokedFrom} THEN now() - interval '31 days' END,
       CASE WHEN g >= ${revokedFrom} THEN 'LOGOUT' END,
       g % 50, decode(md5('n' || g), 'hex'), now() - (g % 600) * interval '1 second'
     FROM generate_series($1::int, $2::int) AS g`,
  );
  log('VACUUM ANALYZE');
  await db.query('VACUUM (ANALYZE) sessions');
  return {
    sessions: SESSIONS,
    users: USERS,
    backlog: {
      expiredSessions: revokedFrom - expiredFrom,
      revokedPastRetention: SESSIONS - revokedFrom + 1,
    },
    seedMs: { sessionsMs },
  };
}

async function sizes(db) {
  const tables = await db.query(
    `SELECT c.relname AS table, c.reltuples::bigint AS rows,
       pg_relation_size(c.oid) AS heap, pg_indexes_size(c.oid) AS indexes,
       pg_total_relation_size(c.oid) AS total
     FROM pg_class c WHERE c.relname = 'sessions'`,
  );
  const indexes = await db.query(
    `SELECT i.relname AS index, t.relname AS table, pg_relation_size(i.oid) AS bytes
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
     WHERE t.relname = 'sessions' ORDER BY t.relname, i.relname`,
  );
  const counts = await db.query(
    `SELECT (SELECT count(*) FROM sessions) AS sessions,
            (SELECT count(*) FROM sessions WHERE revoked_at IS NULL) AS live_sessions`,
  );
  const number = (row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [k, /^\d+$/.test(String(v)) ? Number(v) : v]),
    );
  return {
    tables: tables.rows.map(number),
    indexes: indexes.rows.map(number),
    counts: number(counts.rows[0]),
  };
}

const CLEANUP_LINE =
  /cleanup run instance=\S+ lock=(\S+) ended=(\d+) deleted=(\d+) duration=(\d+)ms/;

/** Starts one demo instance with a one-second cron and takes its first run that did work. */
async function measureCleanup(databaseUrl) {
  const demo = await startCleanupInstance(databaseUrl);
  try {
    const match = await demo.waitForLine(
      {
        exec: (line) =>
          ((m) => (m && Number(m[2]) + Number(m[3]) > 0 ? m : null))(CLEANUP_LINE.exec(line)),
      },
      30 * 60_000,
    );
    return {
      lock: match[1],
      ended: Number(match[2]),
      deleted: Number(match[3]),
      durationMs: Number(match[4]),
    };
  } finally {
    await demo.stop();
  }
}

/** A redis-server of its own (no persistence), so INFO memory measures nothing but these keys. */
async function measureRedis() {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      tmpdir(),
    ],
    { stdio: 'ignore' },
  );
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 3 });
  redis.on('error', () => undefined); // connect attempts before the server listens
  try {
    for (let i = 0; i < 50; i++) {
      try {
        await redis.connect();
        break;
      } catch {
        await sleep(100);
      }
    }
    const prefix = 'session-auth:';
    const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))[1]);
    const before = await used();
    const state = (userId) =>
      JSON.stringify({
        userId,
        revoked: false,
        expiresAt: Date.now() + 6 * 86_400_000,
        authenticatedAt: Date.now(),
      });
    // What the library writes for one active session: its state (5 min TTL) and, after a guarded
    // request, the debounce marker of the last-activity update.
    for (let i = 0; i < REDIS_SAMPLE; i += 1000) {
      const pipeline = redis.pipeline();
      for (let j = i; j < Math.min(i + 1000, REDIS_SAMPLE); j++) {
        const id = randomUUID();
        pipeline.set(`${prefix}session:${id}`, state(randomUUID()), 'PX', 300_000);
        pipeline.set(`${prefix}touch:${id}`, '1', 'PX', 60_000);
      }
      await pipeline.exec();
    }
    const after = await used();
    const sampleKeys = (
      await redis.scan('0', 'MATCH', `${prefix}session:*`, 'COUNT', 1000)
    )[1].slice(0, 100);
    const touchKeys = (await redis.scan('0', 'MATCH', `${prefix}touch:*`, 'COUNT', 1000))[1].slice(
      0,
      100,
    );
    const avg = async (keys) => {
      const values = await Promise.all(keys.map((k) => redis.memory('USAGE', k)));
      return values.reduce((a, b) => a + Number(b), 0) / values.length;
    };
    const throttleKey = `${prefix}throttle:login:203.0.113.7|someone@example.com`;
    await redis.set(throttleKey, '3', 'PX', 60_000);
    return {
      keysPerSession: 2,
      sessions: REDIS_SAMPLE,
      usedMemoryDeltaBytes: after - before,
      bytesPerSession: Math.round((after - before) / REDIS_SAMPLE),
      memoryUsageSessionKey: Math.round(await avg(sampleKeys)),
      memoryUsageTouchKey: Math.round(await avg(touchKeys)),
      memoryUsageThrottleKey: Number(await redis.memory('USAGE', throttleKey)),
      info: Object.fromEntries(
        (await redis.info('memory'))
          .split('\r\n')
          .filter((l) =>
            /^(used_memory|used_memory_dataset|mem_fragmentation_ratio|allocator_allocated):/.test(
              l,
            ),
          )
          .map((l) => l.split(':')),
      ),
    };
  } finally {
    redis.disconnect();
    child.kill('SIGKILL');
  }
}

async function main() {
  const name = `session_auth_capacity_${Date.now()}`;
  const url = withDatabase(SERVER_URL, name);
  await admin(`CREATE DATABASE "${name}"`);
  const db = new pg.Client({ connectionString: url });
  const result = { date: new Date().toISOString(), sessions: SESSIONS };
  try {
    log(`database ${name}; migrating through a demo instance`);
    // One start with the cleanup off would do; starting the cleanup instance on the empty database
    // migrates it and proves it starts, then it is stopped until the rows are in.
    const migrator = await startDemo('capacity-migrate', {
      PORT: '0',
      DATABASE_URL: url,
      JWT_SECRET: randomBytes(32).toString('hex'),
      CLEANUP_CRON: '0 0 1 1 *',
      METRICS: 'false',
    });
    await migrator.stop();
    await db.connect();
    result.redis = await measureRedis();
    log(`redis: ${JSON.stringify(result.redis)}`);
    result.seed = await seed(db);
    result.before = await sizes(db);
    log(`sizes before cleanup: ${JSON.stringify(result.before)}`);
    result.cleanup = await measureCleanup(url);
    log(`cleanup: ${JSON.stringify(result.cleanup)}`);
    await db.query('VACUUM (ANALYZE) sessions');
    result.after = await sizes(db);
    log(`sizes after cleanup and VACUUM: ${JSON.stringify(result.after)}`);
  } finally {
    await db.end().catch(() => undefined);
    if (!keep) await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    else log(`kept database ${name}`);
  }
  const out = path.join(REPO_ROOT, 'docs/capacity.json');
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${out}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
