// The measurements behind docs/capacity.md: seeds a scratch database with a few million sessions
// shaped like production's (live, expired, ended within and past the retention; 80 % bound to a
// device key; refresh tokens are derived from a session's generation and nonce, so no token is
// stored), measures table and index sizes per kind of row, explains the cleanup's look-ups, times
// the real cleanup job (a demo instance with a one-second cron) on a backlog at that size and on
// one run's worth at the capacity plan's density, and measures Redis memory per cached session and
// per proof replay marker on a redis-server of its own. Not part of `npm test`. See bench/README.md.
//
//   npm run build && node bench/capacity.mjs            # 2,000,000 sessions, about 10 minutes
//   CAPACITY_SESSIONS=500000 node bench/capacity.mjs     # smaller, faster
//   node bench/capacity.mjs --keep                       # keep the database for a look afterwards
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { URL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { REPO_ROOT, startDemo } from './lib/demo.mjs';
import { prettierMarkdown } from './lib/markdown.mjs';

const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SESSIONS = Number(process.env.CAPACITY_SESSIONS ?? 2_000_000);
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

/** Redis for the cleanup instances (its lock), under a key prefix of this run's own. */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A demo instance on the scratch database (the first start migrates it). `cron`: every second for
 * the cleanup runs, never for the migration; `env`: more of the demo's settings.
 */
function startInstance(name, databaseUrl, prefix, cron, env = {}) {
  return startDemo(name, {
    PORT: '0',
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    JWT_SECRET: randomBytes(32).toString('hex'),
    CLEANUP_CRON: cron,
    CLEANUP_LOCK_TTL: '600',
    METRICS: 'false',
    ...env,
  });
}

async function chunked(db, label, total, sql, params = []) {
  const started = Date.now();
  for (let from = 0; from < total; from += CHUNK) {
    await db.query(sql, [from + 1, Math.min(from + CHUNK, total), ...params]);
    log(
      `${label}: ${Math.min(from + CHUNK, total).toLocaleString('en')} / ${total.toLocaleString('en')}`,
    );
  }
  return Date.now() - started;
}

/**
 * The classes of seeded rows, as shares of CAPACITY_SESSIONS (in twentieths), interleaved over the
 * heap as production's would be (a row's class comes from a hash of its number, not its position).
 * Ended sessions outnumber live ones about 2:1, as in the plan (50M live, 99M ended kept for the
 * 30-day retention); the two backlog classes are what one cleanup run at this size finds.
 */
const CLASSES = [
  // Signed in up to 29 days ago, active within the idle window.
  { name: 'live', twentieths: 7 },
  // Idle-expired within the last 15 minutes (one cron interval), not yet ended: run 1 ends them.
  { name: 'expired', twentieths: 1 },
  // Ended (expired, signed out, terminated) within the retention period: kept.
  { name: 'ended', twentieths: 11 },
  // Ended 31-33 days ago, past the default retention (absolute lifetime + grace): run 2 deletes them.
  { name: 'pastRetention', twentieths: 1 },
];
/**
 * Device binding (`deviceBinding: 'optional'`, the default): the client package binds every
 * sign-in in a secure context with a DPoP key, Chrome's DBSC binds some others; API clients, old
 * browsers and sessions handed to `accept()` stay unbound. Shares in tenths of every class.
 */
const BOUND = { dpop: 7, dbsc: 1, unbound: 2 };

/** `bucket(g, n)`: 0..n-1 from a hash of g (hashint4 is PostgreSQL's own integer hash). */
const bucket = (g, n, salt = 0) => `((hashint4(${g} + ${salt})::bigint + 2147483648) % ${n})`;

function classOf(g) {
  let from = 0;
  const cases = CLASSES.map(({ name, twentieths }) => {
    from += twentieths;
    return `WHEN ${bucket(g, 20)} < ${from} THEN '${name}'`;
  });
  return `CASE ${cases.join(' ')} END`;
}

/**
 * One INSERT ... SELECT per chunk. Every row gets production-like contents: uuid user ids (five
 * live sessions per user), a real user agent and matching device name, IPv4 or IPv6 addresses,
 * timestamps spread to the microsecond (so no index deduplicates them), a generation and a
 * 16-byte nonce, and for bound sessions an RFC 7638 thumbprint (43 characters), `ES256` and the
 * key source. `device_id` stays NULL: the client package sends no X-Device-Id.
 */
const SEED_SQL = `
  INSERT INTO sessions (id, user_id, device_id, device_name, user_agent, ip, created_at,
     authenticated_at, last_active_at, idle_expires_at, absolute_expires_at, revoked_at, revoke_reason,
     refresh_generation, refresh_nonce, rotated_at, key_thumbprint, key_alg, key_source)
  SELECT id, user_id, NULL, device_name, user_agent, ip, created_at, created_at, last_active_at,
     LEAST(last_active_at + interval '7 days', created_at + interval '30 days'),
     created_at + interval '30 days', revoked_at,
     CASE WHEN revoked_at IS NULL THEN NULL
          WHEN kind = 'pastRetention' THEN 'LOGOUT'
          ELSE (ARRAY['EXPIRED','EXPIRED','EXPIRED','EXPIRED','EXPIRED','EXPIRED','LOGOUT','LOGOUT',
                      'TERMINATED','PASSWORD_CHANGED'])[1 + ${bucket('g', 10, 7)}] END,
     generation, refresh_nonce, CASE WHEN generation > 0 THEN last_active_at END,
     CASE WHEN key_source IS NOT NULL
          THEN rtrim(translate(encode(sha256(refresh_nonce), 'base64'), '+/', '-_'), '=') END,
     CASE WHEN key_source IS NOT NULL THEN 'ES256' END, key_source
  FROM (
    SELECT g, kind, md5('s' || g)::uuid AS id, user_id, device_name, user_agent, ip, generation,
       refresh_nonce, key_source, created_at, revoked_at,
       CASE kind
         -- active within the idle window (7 days) and not before the sign-in
         WHEN 'live' THEN now() - LEAST(now() - created_at, interval '6 days') * r2
         -- idle-expired 0-15 minutes ago: last active 7 days before that
         WHEN 'expired' THEN now() - interval '7 days' - interval '15 minutes' * r2
         ELSE created_at + (revoked_at - created_at) * r2 END AS last_active_at
    FROM (
      SELECT g, kind, user_id, device_name, user_agent, ip, generation, refresh_nonce, key_source, r2,
         CASE kind
           WHEN 'live' THEN now() - interval '29 days' * r1
           WHEN 'expired' THEN now() - interval '7 days 15 minutes' - interval '20 days' * r1
           ELSE revoked_at - interval '30 days' * r1 END AS created_at,
         revoked_at
      FROM (
        SELECT g, kind, r1, r2, user_id, device_name, user_agent, ip, generation, refresh_nonce, key_source,
           CASE kind
             WHEN 'ended' THEN now() - interval '30 days' * r3
             WHEN 'pastRetention' THEN now() - interval '31 days' - interval '2 days' * r3 END AS revoked_at
        FROM (
          SELECT g, ${classOf('g')} AS kind, random() AS r1, random() AS r2, random() AS r3,
             md5('u' || (g % $3::int))::uuid::text AS user_id,
             (ARRAY['Chrome on Windows', 'Safari on iPhone', 'Chrome on Android', 'Firefox on Linux',
                    'Safari on macOS'])[1 + g % 5] AS device_name,
             (ARRAY['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
                    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
                    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
                    'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
                    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15'])[1 + g % 5] AS user_agent,
             CASE WHEN ${bucket('g', 4, 3)} = 0
                  THEN '2a02:810d:' || to_hex(g % 65536) || ':' || to_hex(hashint4(g) & 65535) || '::' || to_hex(g % 4096)
                  ELSE (g % 223 + 1) || '.' || (g / 7 % 256) || '.' || (g / 11 % 256) || '.' || (g % 254 + 1) END AS ip,
             floor(random() * 400)::int AS generation,
             decode(md5(random()::text || g), 'hex') AS refresh_nonce,
             CASE WHEN ${bucket('g', 10, 5)} < ${BOUND.dpop} THEN 'dpop'
                  WHEN ${bucket('g', 10, 5)} < ${BOUND.dpop + BOUND.dbsc} THEN 'dbsc' END AS key_source
          FROM generate_series($1::int, $2::int) AS g
        ) a
      ) b
    ) c
  ) d`;

async function seed(db) {
  const live = Math.round((SESSIONS * CLASSES[0].twentieths) / 20);
  // Five live sessions per user, as in the plan (10M users, 50M live sessions).
  const users = Math.max(1, Math.round(live / 5));
  const sessionsMs = await chunked(db, 'sessions', SESSIONS, SEED_SQL, [users]);
  log('VACUUM ANALYZE');
  await db.query('VACUUM (ANALYZE) sessions');
  const { rows } = await db.query(
    `SELECT CASE WHEN revoked_at < now() - interval '30 days 10 seconds' THEN 'pastRetention'
                 WHEN revoked_at IS NOT NULL THEN 'ended'
                 WHEN idle_expires_at <= now() OR absolute_expires_at <= now() THEN 'expired'
                 ELSE 'live' END AS kind,
            count(*)::int AS rows, count(key_thumbprint)::int AS bound
       FROM sessions GROUP BY 1 ORDER BY 1`,
  );
  return {
    sessions: SESSIONS,
    users,
    shares: {
      classesInTwentieths: Object.fromEntries(CLASSES.map((c) => [c.name, c.twentieths])),
      boundInTenths: BOUND,
    },
    classes: Object.fromEntries(rows.map((r) => [r.kind, { rows: r.rows, bound: r.bound }])),
    seedMs: { sessionsMs },
  };
}

async function sizes(db) {
  const number = (row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [k, /^\d+(\.\d+)?$/.test(String(v)) ? Number(v) : v]),
    );
  const table = await db.query(
    `SELECT (SELECT count(*) FROM sessions) AS rows, pg_relation_size(c.oid) AS heap,
       pg_indexes_size(c.oid) AS indexes, pg_total_relation_size(c.oid) AS total
     FROM pg_class c WHERE c.relname = 'sessions'`,
  );
  // Each index with the rows it covers (the partial ones: open or ended sessions only).
  const indexes = await db.query(
    `SELECT i.relname AS index, pg_relation_size(i.oid) AS bytes,
       coalesce(pg_get_expr(x.indpred, x.indrelid), '') AS predicate
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
     WHERE t.relname = 'sessions' ORDER BY i.relname`,
  );
  // Tuple widths by kind of row: open (revoked_at NULL: live or expired, not yet ended) or ended,
  // bound or not. A heap slot is the MAXALIGNed tuple plus its 4-byte line pointer; the heap's
  // size shared out in proportion to the slots gives each kind its heap bytes per row.
  const kinds = await db.query(
    `SELECT CASE WHEN revoked_at IS NULL THEN 'open' ELSE 'ended' END
              || CASE WHEN key_thumbprint IS NULL THEN 'Unbound' ELSE 'Bound' END AS kind,
            count(*) AS rows, round(avg(pg_column_size(s.*)), 1) AS tuple_bytes,
            sum(ceil(pg_column_size(s.*) / 8.0) * 8 + 4) AS slot_bytes
       FROM sessions s GROUP BY 1 ORDER BY 1`,
  );
  const counted = await db.query(
    `SELECT count(*) FILTER (WHERE revoked_at IS NULL) AS open,
            count(*) FILTER (WHERE revoked_at IS NOT NULL) AS ended FROM sessions`,
  );
  const { open, ended } = number(counted.rows[0]);
  const t = number(table.rows[0]);
  const slots = kinds.rows.reduce((sum, k) => sum + Number(k.slot_bytes), 0);
  const covered = (predicate) =>
    /IS NOT NULL/.test(predicate) ? ended : /IS NULL/.test(predicate) ? open : t.rows;
  return {
    table: t,
    indexes: indexes.rows.map((row) => {
      const rows = covered(row.predicate);
      return {
        ...number(row),
        rows,
        bytesPerRow: rows ? +(Number(row.bytes) / rows).toFixed(1) : null,
      };
    }),
    kinds: kinds.rows.map((row) => {
      const k = number(row);
      return {
        kind: k.kind,
        rows: k.rows,
        tupleBytes: k.tuple_bytes,
        heapBytesPerRow: +((t.heap * (k.slot_bytes / slots)) / k.rows).toFixed(1),
      };
    }),
  };
}

const CLEANUP_LINE =
  /cleanup run instance=\S+ lock=(\S+) ended=(\d+) deleted=(\d+) duration=(\d+)ms/g;

/** Rows per cleanup statement (`BATCH` in libs/session-auth/src/cleanup/cleanup.service.ts). */
const CLEANUP_BATCH = 2000;
/** The library's conditions (persistence/session-lifetime.ts, cleanup.repository.ts). */
const OUTLIVED_SQL = '(idle_expires_at <= now() OR absolute_expires_at <= now())';
/** Past the default retention: the absolute lifetime (30 days) plus the grace window (10 s). */
const PAST_RETENTION_SQL = `revoked_at < now() - make_interval(secs => ${30 * 86_400 + 10})`;

/** Every run an instance has logged so far (its whole output, from before it listened too). */
function cleanupRuns(output) {
  return [...output.matchAll(CLEANUP_LINE)].map((m) => ({
    lock: m[1],
    ended: Number(m[2]),
    deleted: Number(m[3]),
    durationMs: Number(m[4]),
  }));
}

/**
 * Starts a demo instance with a one-second cron and takes its first run that did work: one run
 * goes on until a statement comes back short, so it clears the backlog (unless it lost its lock,
 * which is logged and counted here; `left` says what the table still holds afterwards). Later
 * runs only find the trickle of ended rows that pass the retention meanwhile. `env`: e.g.
 * CLEANUP_RETENTION, so that one measurement only ends sessions and the next only deletes.
 */
async function measureCleanup(label, db, databaseUrl, prefix, env) {
  const loadBefore = loadavg();
  const demo = await startInstance(`capacity-${label}`, databaseUrl, prefix, '* * * * * *', env);
  try {
    const deadline = Date.now() + 30 * 60_000;
    let run;
    while (!(run = cleanupRuns(demo.output()).find((r) => r.ended + r.deleted > 0))) {
      if (Date.now() > deadline) throw new Error(`${label}: no cleanup run did work in 30 min`);
      await sleep(250);
    }
    const { rows } = await db.query(
      `SELECT count(*) FILTER (WHERE revoked_at IS NULL AND ${OUTLIVED_SQL})::int AS outlived,
              count(*) FILTER (WHERE ${PAST_RETENTION_SQL})::int AS "pastRetention"
         FROM sessions`,
    );
    // Each phase (end, then delete) loops until a statement comes back short, so a run makes one
    // statement more per phase than it has full batches, the phase with nothing to do included.
    const batches =
      Math.floor(run.ended / CLEANUP_BATCH) + Math.floor(run.deleted / CLEANUP_BATCH) + 2;
    return {
      label,
      env,
      ...run,
      lockLost: (demo.output().match(/cleanup lock lost/g) ?? []).length,
      leftAfterTheRun: rows[0],
      batches,
      msPerBatch: +(run.durationMs / batches).toFixed(1),
      rowsPerSecond: Math.round(((run.ended + run.deleted) * 1000) / run.durationMs),
      loadAverage: { before: loadBefore.map(round2), after: loadavg().map(round2) },
    };
  } finally {
    await demo.stop();
  }
}

/**
 * The plan's steady state: 3.3M sessions end a day, so one 15-minute run finds about 34,000
 * expired sessions among 149M rows (live and ended). This many live rows (spread over the heap)
 * are made to outlive their idle end, so the next run meets the plan's density of work.
 */
const PLAN_EXPIRED_SHARE = 3_300_000 / 96 / 149_000_000;

/** The cleanup's look-ups, as it runs them (persistence/cleanup.repository.ts), at the default retention. */
const LOOKUPS = {
  end: `SELECT id FROM sessions WHERE revoked_at IS NULL AND ${OUTLIVED_SQL} LIMIT ${CLEANUP_BATCH}`,
  delete: `SELECT id FROM sessions WHERE ${PAST_RETENTION_SQL} LIMIT ${CLEANUP_BATCH}`,
};

/**
 * One run's worth of work at the plan's density: that many live rows (spread over the heap) are
 * made to outlive their idle end, and as many ended rows to pass the retention.
 */
async function atPlanDensity(db) {
  const rows = Math.max(1, Math.round(SESSIONS * PLAN_EXPIRED_SHARE));
  const spread = (where) =>
    `SELECT id FROM sessions WHERE ${where} ORDER BY md5(id::text) LIMIT $1`;
  await db.query(
    `UPDATE sessions SET idle_expires_at = now() - interval '15 minutes' * random()
      WHERE id IN (${spread('revoked_at IS NULL AND idle_expires_at > now()')})`,
    [rows],
  );
  await db.query(
    `UPDATE sessions SET revoked_at = now() - interval '30 days 10 seconds' - interval '15 minutes' * random()
      WHERE id IN (${spread(`revoked_at > now() - interval '29 days'`)})`,
    [rows],
  );
  await db.query('VACUUM (ANALYZE) sessions');
  return { rows, lookups: await explainLookups(db) };
}

/** How PostgreSQL finds a batch (read only: the look-ups without FOR UPDATE SKIP LOCKED). */
async function explainLookups(db) {
  const out = {};
  for (const [phase, sql] of Object.entries(LOOKUPS)) {
    const { rows } = await db.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`);
    const [{ Plan: plan, 'Execution Time': executionMs }] = rows[0]['QUERY PLAN'];
    const nodes = [];
    const walk = (node) => {
      nodes.push({
        node: node['Node Type'],
        index: node['Index Name'],
        estimatedRows: node['Plan Rows'],
        rows: node['Actual Rows'],
        removedByFilter: node['Rows Removed by Filter'],
        sharedBuffers: (node['Shared Hit Blocks'] ?? 0) + (node['Shared Read Blocks'] ?? 0),
      });
      (node.Plans ?? []).forEach(walk);
    };
    walk(plan);
    out[phase] = { executionMs, nodes };
  }
  return out;
}

const round2 = (n) => Math.round(n * 100) / 100;

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
    const state = (userId, revoked = false) =>
      JSON.stringify({
        userId,
        revoked,
        expiresAt: revoked ? 0 : Date.now() + 6 * 86_400_000,
        authenticatedAt: revoked ? 0 : Date.now(),
      });
    /** Writes REDIS_SAMPLE times what `write(pipeline)` writes; used_memory's growth per time. */
    const perWrite = async (write) => {
      const before = await used();
      for (let i = 0; i < REDIS_SAMPLE; i += 1000) {
        const pipeline = redis.pipeline();
        for (let j = i; j < Math.min(i + 1000, REDIS_SAMPLE); j++) write(pipeline);
        await pipeline.exec();
      }
      const delta = (await used()) - before;
      return { usedMemoryDeltaBytes: delta, bytesEach: Math.round(delta / REDIS_SAMPLE) };
    };
    // What the library writes for one active session: its state (5 min TTL) and, after a guarded
    // request, the debounce marker of the last-activity update (TTL touchDebounceSeconds, 60 s).
    const sessions = await perWrite((pipeline) => {
      const id = randomUUID();
      pipeline.set(`${prefix}session:${id}`, state(randomUUID()), 'PX', 300_000);
      pipeline.set(`${prefix}touch:${id}`, '1', 'PX', 60_000);
    });
    // A bound session's refresh (and a @RequireDeviceProof request) remembers its proof's jti for
    // 125 s: sha256(thumbprint.jti) in base64url (binding/proof-replay.ts).
    const proofs = await perWrite((pipeline) => {
      const id = createHash('sha256').update(randomUUID()).digest('base64url');
      pipeline.set(`${prefix}proof-jti:${id}`, '1', 'PX', 125_000);
    });
    const sample = async (pattern) =>
      (await redis.scan('0', 'MATCH', `${prefix}${pattern}`, 'COUNT', 1000))[1].slice(0, 100);
    const avg = async (keys) => {
      const values = await Promise.all(keys.map((k) => redis.memory('USAGE', k)));
      return Math.round(values.reduce((a, b) => a + Number(b), 0) / values.length);
    };
    const revokedKey = `${prefix}session:${randomUUID()}`;
    await redis.set(revokedKey, state(randomUUID(), true), 'PX', 3_600_000);
    const throttleKey = `${prefix}throttle:login:203.0.113.7|someone@example.com`;
    await redis.set(throttleKey, '3', 'PX', 60_000);
    return {
      keysPerSession: 2,
      sessions: REDIS_SAMPLE,
      usedMemoryDeltaBytes: sessions.usedMemoryDeltaBytes,
      bytesPerSession: sessions.bytesEach,
      proofJtiKeys: REDIS_SAMPLE,
      bytesPerProofJti: proofs.bytesEach,
      memoryUsageSessionKey: await avg(await sample('session:*')),
      memoryUsageTouchKey: await avg(await sample('touch:*')),
      memoryUsageProofJtiKey: await avg(await sample('proof-jti:*')),
      memoryUsageRevokedSessionKey: Number(await redis.memory('USAGE', revokedKey)),
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
  // The cleanup instances' Redis keys (their lock) live under a prefix of this run's own.
  const prefix = `${name}:`;
  await admin(`CREATE DATABASE "${name}"`);
  const db = new pg.Client({ connectionString: url });
  const result = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    machine: { cores: cpus().length, loadAverageAtStart: loadavg().map(round2) },
    sessions: SESSIONS,
  };
  try {
    log(`database ${name}; migrating through a demo instance`);
    await (await startInstance('capacity-migrate', url, prefix, '0 0 1 1 *')).stop();
    await db.connect();
    result.redis = await measureRedis();
    log(`redis: ${JSON.stringify(result.redis)}`);
    result.seed = await seed(db);
    log(`seeded: ${JSON.stringify(result.seed)}`);
    result.before = await sizes(db);
    log(`sizes before cleanup: ${JSON.stringify(result.before)}`);
    // Run 1 only ends the expired backlog (a retention longer than the oldest ended row keeps
    // everything); run 2, at the default retention, only deletes what is past it.
    result.lookups = await explainLookups(db);
    log(`look-ups: ${JSON.stringify(result.lookups)}`);
    result.cleanup = [];
    for (const [label, env] of [
      ['end', { CLEANUP_RETENTION: '40d' }],
      ['delete', {}],
    ]) {
      const run = await measureCleanup(label, db, url, prefix, env);
      log(`cleanup ${label}: ${JSON.stringify(run)}`);
      result.cleanup.push(run);
    }
    await db.query('VACUUM (ANALYZE) sessions');
    result.after = await sizes(db);
    log(`sizes after cleanup and VACUUM: ${JSON.stringify(result.after)}`);
    // Run 3: one run's worth of work at the plan's density (after the sizes: it adds no row).
    result.planDensity = await atPlanDensity(db);
    log(`plan density: ${JSON.stringify(result.planDensity)}`);
    const run = await measureCleanup('at-plan-density', db, url, prefix, {});
    log(`cleanup at-plan-density: ${JSON.stringify(run)}`);
    result.cleanup.push(run);
    result.machine.loadAverageAtEnd = loadavg().map(round2);
  } finally {
    await db.end().catch(() => undefined);
    await dropRedisKeys(prefix).catch((error) =>
      log(`could not delete ${prefix}*: ${error.message}`),
    );
    if (!keep) await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    else log(`kept database ${name}`);
  }
  const out = path.join(REPO_ROOT, 'docs/capacity.json');
  // In the repository's Prettier style, which `npm run lint` checks (the helper takes any file).
  writeFileSync(out, await prettierMarkdown(`${JSON.stringify(result, null, 2)}\n`, out));
  log(`wrote ${out}`);
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

async function dropRedisKeys(prefix) {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
