import { availableParallelism } from 'node:os';
import { parseClusterUrl, REDIS_CLUSTER_SCHEME } from '../redis/redis-cluster-url.js';
import { checkKeyPair, type JwtKeyPair } from '../tokens/jwt-keys.js';
import { resolveRefreshKeys } from '../tokens/refresh-keys.js';
import { checkCookiePrefix, defaultCookiePath } from './cookie-prefix.js';
import { parseDurationSeconds } from './duration.js';
import {
  type ResolvedSessionAuthOptions,
  SESSION_AUTH_DEFAULTS,
  type SessionAuthOptions,
  SessionAuthOptionsError,
} from './session-auth.options.js';

/** Default bcrypt jobs that may wait per running slot (`passwordQueueLimit`). */
const PASSWORD_QUEUE_PER_SLOT = 32;

function duration(name: string, value: number | string): number {
  const seconds = parseDurationSeconds(value);
  if (seconds === undefined) {
    throw new SessionAuthOptionsError(
      name,
      `must be a positive duration such as 900 or '15m' (got ${JSON.stringify(value)})`,
    );
  }
  return seconds;
}

function integerInRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SessionAuthOptionsError(
      name,
      `must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}

/** Merges the defaults once and validates every option; throws SessionAuthOptionsError on the first bad one. */
export function resolveSessionAuthOptions(given: SessionAuthOptions): ResolvedSessionAuthOptions {
  const o = {
    ...SESSION_AUTH_DEFAULTS,
    cookiePath: defaultCookiePath(given.cookieName, SESSION_AUTH_DEFAULTS.cookiePath),
    ...stripUndefined(given),
  };
  if (!['HS256', 'RS256', 'ES256'].includes(o.algorithm)) {
    throw new SessionAuthOptionsError(
      'algorithm',
      `must be HS256, RS256 or ES256 (got ${JSON.stringify(o.algorithm)})`,
    );
  }
  let jwtKeys: JwtKeyPair | undefined;
  if (o.algorithm === 'HS256') {
    if (o.jwtKeys) {
      throw new SessionAuthOptionsError(
        'algorithm',
        `must be RS256 or ES256 when jwtKeys is given`,
      );
    }
    if (typeof o.jwtSecret !== 'string' || Buffer.byteLength(o.jwtSecret) < 32) {
      throw new SessionAuthOptionsError(
        'jwtSecret',
        'must be a string of at least 32 bytes for HS256',
      );
    }
  } else if (!o.jwtKeys?.privateKey || !o.jwtKeys?.publicKey) {
    throw new SessionAuthOptionsError(
      'jwtKeys',
      `must hold privateKey and publicKey for ${o.algorithm}`,
    );
  } else {
    const checked = checkKeyPair(o.algorithm, o.jwtKeys);
    if (typeof checked === 'string') throw new SessionAuthOptionsError('jwtKeys', checked);
    jwtKeys = checked;
  }
  if (o.acceptDerivedRefreshKey && o.refreshTokenSecrets === undefined) {
    throw new SessionAuthOptionsError(
      'acceptDerivedRefreshKey',
      'only applies with refreshTokenSecrets (without them the derived key already signs)',
    );
  }
  const refreshTokenKeys = resolveRefreshKeys(
    o.refreshTokenSecrets,
    o.jwtSecret,
    jwtKeys,
    o.acceptDerivedRefreshKey === true,
  );
  if (typeof refreshTokenKeys === 'string')
    throw new SessionAuthOptionsError('refreshTokenSecrets', refreshTokenKeys);
  const absoluteTtl = duration('absoluteTtl', o.absoluteTtl);
  const reuseGraceSeconds = integerInRange('reuseGraceSeconds', o.reuseGraceSeconds, 0, 300);
  const passwordConcurrency = integerInRange(
    'passwordConcurrency',
    o.passwordConcurrency ?? availableParallelism(),
    1,
    1024,
  );
  const idleTtl = duration('idleTtl', o.idleTtl);
  if (!['cookie', 'body', 'both'].includes(o.refreshTransport)) {
    throw new SessionAuthOptionsError('refreshTransport', `must be 'cookie', 'body' or 'both'`);
  }
  if (!['off', 'optional', 'required'].includes(o.deviceBinding)) {
    throw new SessionAuthOptionsError('deviceBinding', `must be 'off', 'optional' or 'required'`);
  }
  checkCookiePrefix(o);
  if (typeof o.redisKeyPrefix !== 'string' || o.redisKeyPrefix.length === 0) {
    throw new SessionAuthOptionsError('redisKeyPrefix', 'must be a non-empty string');
  }
  if (
    typeof o.redis === 'string' &&
    o.redis.startsWith(REDIS_CLUSTER_SCHEME) &&
    !validSeeds(parseClusterUrl(o.redis).seeds)
  ) {
    throw new SessionAuthOptionsError('redis', 'must list host:port seeds after redis+cluster://');
  }
  if (
    o.directDatabaseUrl !== undefined &&
    (typeof o.directDatabaseUrl !== 'string' || !/^postgres(ql)?:\/\//.test(o.directDatabaseUrl))
  ) {
    throw new SessionAuthOptionsError('directDatabaseUrl', 'must be a postgres:// URL');
  }
  if (
    o.cleanupCron !== false &&
    (typeof o.cleanupCron !== 'string' || o.cleanupCron.trim().split(/\s+/).length < 5)
  ) {
    throw new SessionAuthOptionsError(
      'cleanupCron',
      `must be a cron expression (got ${JSON.stringify(o.cleanupCron)})`,
    );
  }
  return {
    ...o,
    jwtKeys,
    refreshTokenKeys,
    accessTokenTtl: duration('accessTokenTtl', o.accessTokenTtl),
    idleTtl,
    absoluteTtl,
    cleanupRetention: retention(o.cleanupRetention, absoluteTtl, reuseGraceSeconds),
    cleanupLockTtl: duration('cleanupLockTtl', o.cleanupLockTtl),
    metrics: o.metrics === false ? false : o.metrics === true ? {} : o.metrics,
    openApi: o.openApi === true,
    reuseGraceSeconds,
    maxSessionsPerUser: integerInRange('maxSessionsPerUser', o.maxSessionsPerUser, 1, 10_000),
    bcryptRounds: integerInRange('bcryptRounds', o.bcryptRounds, 4, 31),
    passwordConcurrency,
    passwordQueueLimit: integerInRange(
      'passwordQueueLimit',
      o.passwordQueueLimit ?? PASSWORD_QUEUE_PER_SLOT * passwordConcurrency,
      0,
      1_000_000,
    ),
    touchDebounceSeconds: integerInRange('touchDebounceSeconds', o.touchDebounceSeconds, 0, 86_400),
    revocationAckTimeoutMs: integerInRange(
      'revocationAckTimeoutMs',
      o.revocationAckTimeoutMs,
      0,
      10_000,
    ),
  };
}

/** Spent tokens must outlive every session that could still present them. */
function retention(
  given: number | string | undefined,
  absoluteTtl: number,
  reuseGraceSeconds: number,
): number {
  const needed = absoluteTtl + reuseGraceSeconds;
  if (given === undefined) return needed;
  const seconds = duration('cleanupRetention', given);
  if (seconds < needed) {
    throw new SessionAuthOptionsError(
      'cleanupRetention',
      `must cover absoluteTtl plus reuseGraceSeconds (${needed} s), so reuse of a spent token ` +
        `is detected for as long as its session could live (got ${seconds} s)`,
    );
  }
  return seconds;
}

function validSeeds(seeds: { host: string; port: number }[]): boolean {
  return (
    seeds.length > 0 &&
    seeds.every(
      (seed) => seed.host && Number.isInteger(seed.port) && seed.port > 0 && seed.port < 65536,
    )
  );
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
