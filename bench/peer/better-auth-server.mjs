// The peer of the `peer` bench scenario: a minimal better-auth server, the way its docs set one up
// on plain Node (betterAuth + toNodeHandler on node:http), with email and password sign-in, its
// tables in PostgreSQL (pg Pool) and sessions in Redis through the official secondary storage
// (@better-auth/redis-storage on ioredis). Nothing else runs in front of the handler.
//
//   node bench/peer/better-auth-server.mjs             serve; prints "listening on http://127.0.0.1:<port>"
//   node bench/peer/better-auth-server.mjs --migrate   create better-auth's tables and exit
//
// Environment: DATABASE_URL, REDIS_URL, REDIS_KEY_PREFIX (its keys start with it), PORT (0: any),
// BETTER_AUTH_SECRET, UPDATE_AGE (session.updateAge in seconds; 0 extends the expiry on every
// check), BCRYPT_ROUNDS (the password hash, as the demo's set-up logins use: only seeding pays it).
import http from 'node:http';
import { redisStorage } from '@better-auth/redis-storage';
import bcrypt from 'bcrypt';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import { Redis } from 'ioredis';
import pg from 'pg';

const env = process.env;
const port = Number(env.PORT ?? 0);
const rounds = Number(env.BCRYPT_ROUNDS ?? 4);
const updateAge = Number(env.UPDATE_AGE ?? 86400);

const pool = new pg.Pool({ connectionString: env.DATABASE_URL });
const redis = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379');

/** better-auth's options; `baseURL` (the address the runner uses) is known once listening. */
const options = (baseURL) => ({
  secret: env.BETTER_AUTH_SECRET,
  baseURL,
  database: pool,
  secondaryStorage: redisStorage({ client: redis, keyPrefix: env.REDIS_KEY_PREFIX }),
  emailAndPassword: {
    enabled: true,
    // better-auth's default is scrypt in JavaScript (tens of ms a hash); seeding thousands of
    // sessions through sign-in would take minutes. The checks measured never hash a password.
    password: {
      hash: (password) => bcrypt.hash(password, rounds),
      verify: ({ hash, password }) => bcrypt.compare(password, hash),
    },
  },
  session: {
    updateAge,
    // Off (also better-auth's default), so every get-session reads the session from Redis rather
    // than trusting a signed session_data cookie.
    cookieCache: { enabled: false },
  },
  // The demo's bench instances have limits nobody reaches and no limit at all on the guarded
  // route; better-auth's limiter (on by default in production) would add a Redis counter to
  // every request.
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
  logger: { level: 'error' },
});

if (process.argv.includes('--migrate')) {
  const { runMigrations } = await getMigrations(options('http://127.0.0.1'));
  await runMigrations();
  await pool.end();
  redis.disconnect();
} else {
  let handler;
  const server = http.createServer((req, res) => handler(req, res));
  server.listen(port, '127.0.0.1', () => {
    const baseURL = `http://127.0.0.1:${server.address().port}`;
    handler = toNodeHandler(betterAuth(options(baseURL)));
    console.log(`listening on ${baseURL}`);
  });
  const stop = () => {
    server.close();
    server.closeAllConnections();
    Promise.allSettled([pool.end(), redis.quit()]).finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
