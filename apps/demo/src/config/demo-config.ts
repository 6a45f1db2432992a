import { readFileSync } from 'node:fs';

/** The demo's configuration, read once from the environment (see README, "Configuration"). */
export interface DemoConfig {
  port: number;
  databaseUrl?: string;
  /** A direct PostgreSQL URL for LISTEN and session-level locks when DATABASE_URL goes through a pooler. */
  databaseDirectUrl?: string;
  /** Redis: REDIS_URL, or `redis+cluster://<REDIS_CLUSTER_NODES>` when that is set. */
  redisUrl?: string;
  redisKeyPrefix: string;
  jwtSecret: string;
  /** Refresh-token MAC secrets (REFRESH_TOKEN_SECRETS, comma-separated, the first signs); default: derived from the JWT secret. */
  refreshTokenSecrets?: string[];
  /** The secret is the development constant (only under `npm start`): announce it loudly. */
  developmentJwtSecret: boolean;
  accessTokenTtl: number;
  refreshIdleTtl: number;
  refreshAbsoluteTtl: number;
  reuseGraceSeconds: number;
  bcryptRounds: number;
  /** Sessions per user before the least recently active is evicted (the library's default is 100). */
  maxSessionsPerUser?: number;
  /** bcrypt jobs at once, and how many may wait (the library's defaults: cores, 32 per slot). */
  passwordConcurrency?: number;
  passwordQueueLimit?: number;
  /** How long a revocation waits for every other instance to confirm (the library's default: 250 ms). */
  revocationAckTimeoutMs?: number;
  cleanupCron: string;
  cleanupLockTtl: number;
  /** How long spent tokens and ended sessions are kept; default: the library's (the absolute lifetime). */
  cleanupRetention?: number;
  /** Refuse a refresh from another user agent than the session's (the library's `bindUserAgent`). */
  bindUserAgent: boolean;
  /** Device-bound sessions (the library's `deviceBinding`): `off`, `optional` or `required`. */
  deviceBinding: 'off' | 'optional' | 'required';
  cookieSecure: boolean;
  /** REFRESH_COOKIE_NAME: the contract's `refresh_token` by default; `__Host-refresh_token` in production (HTTPS). */
  refreshCookieName: string;
  refreshTransport: 'cookie' | 'body' | 'both';
  rateLimitLogin: number;
  rateLimitLoginIp: number;
  /** Express `trust proxy`: which peers may set X-Forwarded-For. Default: none. */
  trustProxy: string | false;
  rateLimitRefresh: number;
  /** Serve Prometheus metrics at /metrics (METRICS=true; default off). */
  metrics: boolean;
  /** How long to keep serving (readiness 503, Connection: close) after SIGTERM before closing. */
  shutdownDrainMs: number;
  /** Mount the /bench routes used by `npm run bench`. */
  benchRoutes: boolean;
  /** Where the embedded PostgreSQL keeps its files when no DATABASE_URL is set. */
  embeddedDataDir: string;
}

/** A development secret so `npm start` works out of the box; it is announced loudly at start-up. */
export const DEVELOPMENT_JWT_SECRET = 'session-auth-demo-development-secret-change-me';

/** Shortest signing secret accepted: HS256 keys shorter than its 256-bit hash are guessable. */
export const MIN_JWT_SECRET_BYTES = 32;

export class DemoConfigError extends Error {}

/**
 * The signing secret: `JWT_SECRET`, else the file named by `JWT_SECRET_FILE` (a Docker secret, or
 * the one docker-compose generates per deployment). The development constant is public (it is in
 * this file), so only `npm start` (NODE_ENV=development) may fall back to it; any other start,
 * `npm run start:prod` and the Docker image (NODE_ENV=production) included, refuses.
 */
function jwtSecret(env: NodeJS.ProcessEnv): { secret: string; development: boolean } {
  const [name, secret] = env.JWT_SECRET
    ? ['JWT_SECRET', env.JWT_SECRET]
    : env.JWT_SECRET_FILE
      ? ['JWT_SECRET_FILE', readSecretFile(env.JWT_SECRET_FILE)]
      : [undefined, undefined];
  if (name && secret !== undefined) {
    const bytes = Buffer.byteLength(secret);
    if (bytes < MIN_JWT_SECRET_BYTES)
      throw new DemoConfigError(
        `${name} must hold at least ${MIN_JWT_SECRET_BYTES} bytes (got ${bytes}): generate one with \`openssl rand -base64 48\``,
      );
    return { secret, development: false };
  }
  if (env.NODE_ENV === 'development') return { secret: DEVELOPMENT_JWT_SECRET, development: true };
  throw new DemoConfigError(
    `JWT_SECRET is not set: ${env.NODE_ENV === 'production' ? 'NODE_ENV=production' : 'a start outside `npm start`'} ` +
      `needs a secret of at least ${MIN_JWT_SECRET_BYTES} bytes (generate one with \`openssl rand -base64 48\`, ` +
      `or name a file holding it in JWT_SECRET_FILE); only \`npm start\` (NODE_ENV=development) signs with a development secret`,
  );
}

function readSecretFile(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new DemoConfigError(
      `JWT_SECRET_FILE names a file that cannot be read (${(error as NodeJS.ErrnoException).code})`,
    );
  }
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new DemoConfigError(`${name} must be an integer >= ${min} (got "${raw}")`);
  return value;
}

/** An integer the library has its own default for: undefined when unset. */
function optionalInteger(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  return env[name] ? integer(env, name, 0, min) : undefined;
}

const SECONDS_PER: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Whole seconds from `900` or a duration like `15m`, `12h`, `7d`. */
function duration(env: NodeJS.ProcessEnv, name: string, fallback: string): number {
  const raw = env[name] || fallback;
  const match = /^(\d+)([smhd]?)$/.exec(raw.trim());
  const seconds = match ? Number(match[1]) * SECONDS_PER[match[2] || 's'] : 0;
  if (seconds < 1)
    throw new DemoConfigError(
      `${name} must be seconds or a duration like 15m or 7d (got "${raw}")`,
    );
  return seconds;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes)$/i.test(raw)) return true;
  if (/^(0|false|no)$/i.test(raw)) return false;
  throw new DemoConfigError(`${name} must be true or false (got "${raw}")`);
}

/** `host:port,host:port` seeds of a Redis Cluster, as the library's `redis+cluster://` URL. */
function redisClusterUrl(raw: string): string {
  const seeds = raw
    .split(',')
    .map((seed) => seed.trim())
    .filter(Boolean);
  if (seeds.length === 0 || seeds.some((seed) => !/^[^\s:,/@]+:\d{1,5}$/.test(seed)))
    throw new DemoConfigError(
      `REDIS_CLUSTER_NODES must be comma-separated host:port seeds (got "${raw}")`,
    );
  return `redis+cluster://${seeds.join(',')}`;
}

/** REFRESH_TOKEN_SECRETS: comma-separated, each at least 32 bytes, the signing one first. */
function refreshTokenSecrets(raw: string | undefined): string[] | undefined {
  if (!raw) return undefined;
  const secrets = raw.split(',').map((secret) => secret.trim());
  if (secrets.some((secret) => Buffer.byteLength(secret) < MIN_JWT_SECRET_BYTES))
    throw new DemoConfigError(
      `REFRESH_TOKEN_SECRETS must be comma-separated secrets of at least ${MIN_JWT_SECRET_BYTES} bytes each`,
    );
  return secrets;
}

export function loadDemoConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  // `cookie` by default: a refresh token in a JSON body is readable by any script on the page.
  const transport = env.REFRESH_TRANSPORT || 'cookie';
  if (!['cookie', 'body', 'both'].includes(transport)) {
    throw new DemoConfigError(
      `REFRESH_TRANSPORT must be cookie, body or both (got "${transport}")`,
    );
  }
  const deviceBinding = env.DEVICE_BINDING || 'optional';
  if (!['off', 'optional', 'required'].includes(deviceBinding)) {
    throw new DemoConfigError(
      `DEVICE_BINDING must be off, optional or required (got "${deviceBinding}")`,
    );
  }
  const signing = jwtSecret(env);
  return {
    port: integer(env, 'PORT', 3000, 0),
    databaseUrl: env.DATABASE_URL || undefined,
    databaseDirectUrl: env.DATABASE_DIRECT_URL || undefined,
    redisUrl: env.REDIS_CLUSTER_NODES
      ? redisClusterUrl(env.REDIS_CLUSTER_NODES)
      : env.REDIS_URL || undefined,
    redisKeyPrefix: env.REDIS_KEY_PREFIX || 'session-auth:',
    jwtSecret: signing.secret,
    developmentJwtSecret: signing.development,
    refreshTokenSecrets: refreshTokenSecrets(env.REFRESH_TOKEN_SECRETS),
    accessTokenTtl: duration(env, 'ACCESS_TOKEN_TTL', '15m'),
    refreshIdleTtl: duration(env, 'REFRESH_IDLE_TTL', '7d'),
    refreshAbsoluteTtl: duration(env, 'REFRESH_ABSOLUTE_TTL', '30d'),
    reuseGraceSeconds: integer(env, 'REUSE_GRACE_SECONDS', 10, 0),
    bcryptRounds: integer(env, 'BCRYPT_ROUNDS', 12, 4),
    maxSessionsPerUser: optionalInteger(env, 'MAX_SESSIONS_PER_USER', 1),
    passwordConcurrency: optionalInteger(env, 'PASSWORD_CONCURRENCY', 1),
    passwordQueueLimit: optionalInteger(env, 'PASSWORD_QUEUE_LIMIT', 0),
    revocationAckTimeoutMs: optionalInteger(env, 'REVOCATION_ACK_TIMEOUT_MS', 0),
    cleanupCron: env.CLEANUP_CRON || '0 */15 * * * *',
    cleanupLockTtl: duration(env, 'CLEANUP_LOCK_TTL', '60s'),
    cleanupRetention: env.CLEANUP_RETENTION
      ? duration(env, 'CLEANUP_RETENTION', env.CLEANUP_RETENTION)
      : undefined,
    bindUserAgent: flag(env, 'BIND_USER_AGENT', false),
    deviceBinding: deviceBinding as DemoConfig['deviceBinding'],
    // Secure cookies by default; `npm start` (plain http://127.0.0.1) passes COOKIE_SECURE=false.
    cookieSecure: flag(env, 'COOKIE_SECURE', true),
    // The library checks the name against the cookie options (a __Host- name needs Secure).
    refreshCookieName: env.REFRESH_COOKIE_NAME || 'refresh_token',
    refreshTransport: transport as DemoConfig['refreshTransport'],
    rateLimitLogin: integer(env, 'RATE_LIMIT_LOGIN', 10, 1),
    rateLimitLoginIp: integer(env, 'RATE_LIMIT_LOGIN_IP', 100, 1),
    trustProxy: env.TRUST_PROXY || false,
    rateLimitRefresh: integer(env, 'RATE_LIMIT_REFRESH', 300, 1),
    embeddedDataDir: env.EMBEDDED_DATA_DIR || '.data/pglite',
    benchRoutes: flag(env, 'BENCH_ROUTES', false),
    // Off by default: the counters describe the deployment to whoever can reach the port.
    metrics: flag(env, 'METRICS', false),
    shutdownDrainMs: integer(env, 'SHUTDOWN_DRAIN_MS', 1000, 0),
  };
}
