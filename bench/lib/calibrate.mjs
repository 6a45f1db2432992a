// Round trips to the services at the start of a run, to compare with issue 6's figures (Redis GET
// p50 0.12 ms, one-row PostgreSQL UPDATE ... RETURNING p50 0.45 ms): a slow disk or a busy
// machine shows here first.
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { REDIS_URL } from './context.mjs';
import { summarize } from './stats.mjs';

const ROUNDS = 300;

async function time(fn, rounds = ROUNDS) {
  const values = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await fn(i);
    values.push(performance.now() - t);
  }
  return summarize(values);
}

export async function calibrate(ctx) {
  const client = await ctx.pool.connect();
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await client.query('CREATE TABLE calibration (id int PRIMARY KEY, n int NOT NULL)');
    await client.query('INSERT INTO calibration VALUES (1, 0)');
    const select = await time(() => client.query('SELECT 1'));
    // Autocommit: each one is a commit, so this includes the WAL flush (fsync) of the disk.
    const update = await time(() =>
      client.query('UPDATE calibration SET n = n + 1 WHERE id = 1 RETURNING n'),
    );
    await redis.connect();
    const key = `${ctx.redisPrefix}calibration`;
    await redis.set(key, 'x');
    const get = await time(() => redis.get(key));
    return { postgresSelect1: select, postgresUpdateReturning: update, redisGet: get };
  } finally {
    client.release();
    redis.disconnect();
  }
}
