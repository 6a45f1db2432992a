import type { KeyObject } from 'node:crypto';
import type { RedisClientLike } from '../redis/redis-client.js';
import type { JwtKeyPair } from '../tokens/jwt-keys.js';
import { DEFAULT_ROUTE_PATH } from '../session-auth.constants.js';
import type { RefreshKey } from '../tokens/refresh-token.crypto.js';

/** How the refresh token travels between client and server. */
export type RefreshTransport = 'cookie' | 'body' | 'both';

/**
 * Binding of sessions to a device key (DPoP proofs, DBSC): `'off'` ignores proofs; `'optional'`
 * binds a session whose client proves a key and refuses its refreshes without that key;
 * `'required'` also refuses a sign-in without a key (`DEVICE_KEY_REQUIRED`).
 */
export type DeviceBindingPolicy = 'off' | 'optional' | 'required';

/** Options of `SessionAuthModule.forRoot()` / `forRootAsync()`. Durations are seconds or `'15m'`, `'7d'`. */
export interface SessionAuthOptions {
  /** HMAC secret for HS256 access tokens, at least 32 bytes. Required unless `jwtKeys` is given. */
  jwtSecret?: string;
  /** Asymmetric key pair instead of a secret; `algorithm` must then be RS256 or ES256 (jsonwebtoken has no EdDSA). */
  jwtKeys?: { privateKey: string | KeyObject; publicKey: string | KeyObject };
  /**
   * Keys of the refresh-token MAC, each at least 32 bytes: the first signs, every one verifies (to
   * rotate, put a new one first and drop the old one after `idleTtl`). Default: derived from
   * `jwtSecret` (or the `jwtKeys` private key) under a label of its own.
   */
  refreshTokenSecrets?: string[];
  /**
   * With `refreshTokenSecrets`: also verify (never sign) refresh tokens under the key derived from
   * `jwtSecret` / `jwtKeys`, so moving to `refreshTokenSecrets` signs nobody out (with RS256/ES256
   * the derived key cannot be listed as a secret). Turn it off once `idleTtl` has passed since the
   * move. Default `false`.
   */
  acceptDerivedRefreshKey?: boolean;
  /** Signing algorithm, pinned on verification. Default `'HS256'`. */
  algorithm?: 'HS256' | 'RS256' | 'ES256';
  /** `iss` claim to set and require. Default: none. */
  issuer?: string;
  /** `aud` claim to set and require. Default: none. */
  audience?: string;
  /** Access token lifetime. Default `'15m'`. */
  accessTokenTtl?: number | string;
  /** A session dies if not refreshed for this long. Default `'7d'`. */
  idleTtl?: number | string;
  /** A session dies this long after sign-in, whatever happens. Default `'30d'`. */
  absoluteTtl?: number | string;
  /** Seconds during which a just-spent refresh token is an idempotent retry. Default `10`. */
  reuseGraceSeconds?: number;
  /** On refresh token reuse, revoke every session of the user instead of only the one. Default `false`. */
  revokeAllOnReuse?: boolean;
  /** Refuse a refresh whose `deviceId` differs from the one the session was created with. Default `false`. */
  bindDevice?: boolean;
  /** Also refuse a refresh whose user agent differs from the session's. Default `false`. */
  bindUserAgent?: boolean;
  /**
   * Device-bound sessions: a client that proves a device key (a `DPoP` proof header, RFC 9449) at
   * sign-in gets a session bound to it, and every refresh must prove the same key; a valid refresh
   * token without it is treated as theft. `'off'`, `'optional'` or `'required'`. Default `'optional'`.
   */
  deviceBinding?: DeviceBindingPolicy;
  /**
   * Evict the least recently active session beyond this many per user (1 to 10,000); it also bounds
   * what one change sends to the user's devices. Default `100`.
   */
  maxSessionsPerUser?: number;
  /** bcrypt cost. Default `12`. */
  bcryptRounds?: number;
  /** bcrypt hashes and compares running at once (the rest queue). Default: the number of cores. */
  passwordConcurrency?: number;
  /**
   * bcrypt jobs that may wait for a slot; one more is refused with 503 `SERVER_BUSY` and
   * `Retry-After`. Default: 32 per slot (`32 * passwordConcurrency`), so the last in line waits
   * about 32 job times (some 8 s at cost 12).
   */
  passwordQueueLimit?: number;
  /**
   * Redis: a URL (`redis://...`), a Redis Cluster URL listing any of its nodes
   * (`redis+cluster://host1:6379,host2:6379`), or an ioredis `Redis` / `Cluster` client you own
   * (never closed by the library). Needs the `ioredis` package. Default: in-process cache (single
   * instance).
   */
  redis?: string | RedisClientLike;
  /** Prefix of every Redis key. Default `'session-auth:'`. */
  redisKeyPrefix?: string;
  /** Refresh token transport. Default `'cookie'`. */
  refreshTransport?: RefreshTransport;
  /**
   * Name of the refresh cookie. In production prefer `'__Host-refresh_token'`: browsers then refuse
   * the name from any other subdomain (no cookie tossing); it requires `cookieSecure: true` and
   * `cookiePath: '/'` (the default for such a name), checked at start-up. Default `'refresh_token'`.
   */
  cookieName?: string;
  /** `Path` of the refresh cookie. Default: where the session routes are mounted (`'/' + routePath`, i.e. `'/auth'`); `'/'` for a `__Host-` name. */
  cookiePath?: string;
  /** Set `Secure` on the refresh cookie; turn off only for plain-http development. Default `true`. */
  cookieSecure?: boolean;
  /** Minimum seconds between two last-activity writes of one session. Default `60`. */
  touchDebounceSeconds?: number;
  /** Cron expression of the cleanup job (needs `@nestjs/schedule` and `ScheduleModule.forRoot()` in the app); `false` turns it off. Default every 15 minutes. */
  cleanupCron?: string | false;
  /** TTL of the cleanup lock; it is extended while a run lasts, so a crashed holder is replaced after this. Default `'60s'`. */
  cleanupLockTtl?: number | string;
  /**
   * How long spent tokens and ended sessions are kept before the cleanup deletes them. Spent tokens
   * are what reuse detection needs for as long as their session could live, so it must cover
   * `absoluteTtl` plus `reuseGraceSeconds` (checked at start-up). Default: exactly that.
   */
  cleanupRetention?: number | string;
  /**
   * Milliseconds a revoking request waits for every other live instance to confirm that it dropped
   * its in-process copies of the revoked sessions (so the answer means "refused everywhere"); past
   * it the request answers anyway, with a warning and `session_auth_revocation_unconfirmed_total`.
   * `0` answers without waiting (other instances then refuse within milliseconds). 0 to 10,000.
   * Default `250`.
   */
  revocationAckTimeoutMs?: number;
  /**
   * A direct PostgreSQL URL (not through a transaction pooler) for LISTEN and the cleanup's
   * session-level advisory lock; set it when the DataSource goes through PgBouncer in transaction
   * mode, e.g. `'postgres://app@db:5432/app'`. Default: connections of the DataSource's own pool.
   */
  directDatabaseUrl?: string;
  /**
   * Prometheus metrics on prom-client's default registry (`true`) or on `{ registry }`. Needs the
   * `prom-client` package. Default `false`.
   */
  metrics?: boolean | { registry?: MetricsRegistryLike };
  /**
   * Describe the session routes and the error shape for `@nestjs/swagger` (needs that package).
   * Default `false`.
   */
  openApi?: boolean;
}

/** A prom-client `Registry`, described by shape so apps without prom-client compile. */
export interface MetricsRegistryLike {
  /** The metric registered under `name`, if any. */
  getSingleMetric(name: string): unknown;
}

/** Extras given to forRoot / forRootAsync directly (not through the async factory). */
export interface SessionAuthExtras {
  /** Mount the /auth session routes. Default `true`. */
  controller?: boolean;
  /** Path of the session routes. Default `'auth'`. */
  routePath?: string;
  /** Make the module global. Default `false`. */
  isGlobal?: boolean;
  /** Serve the socket.io `/sessions` gateway (use `SessionIoAdapter` for multi-instance). Default `false`. */
  gateway?: boolean;
}

/** Options after defaults and validation: every duration in seconds. */
export interface ResolvedSessionAuthOptions {
  jwtSecret?: string;
  /** Parsed and checked against each other and the algorithm at start-up. */
  jwtKeys?: JwtKeyPair;
  /** The refresh-token MAC keys, the signing one first. */
  refreshTokenKeys: RefreshKey[];
  algorithm: 'HS256' | 'RS256' | 'ES256';
  issuer?: string;
  audience?: string;
  accessTokenTtl: number;
  idleTtl: number;
  absoluteTtl: number;
  reuseGraceSeconds: number;
  revokeAllOnReuse: boolean;
  bindDevice: boolean;
  bindUserAgent: boolean;
  deviceBinding: DeviceBindingPolicy;
  maxSessionsPerUser: number;
  bcryptRounds: number;
  passwordConcurrency: number;
  passwordQueueLimit: number;
  redis?: string | RedisClientLike;
  redisKeyPrefix: string;
  revocationAckTimeoutMs: number;
  directDatabaseUrl?: string;
  refreshTransport: RefreshTransport;
  cookieName: string;
  cookiePath: string;
  cookieSecure: boolean;
  touchDebounceSeconds: number;
  cleanupCron: string | false;
  cleanupLockTtl: number;
  cleanupRetention: number;
  metrics: false | { registry?: MetricsRegistryLike };
  openApi: boolean;
}

/** The one place defaults live (validation and merging: resolve-options.ts). */
export const SESSION_AUTH_DEFAULTS = {
  algorithm: 'HS256',
  accessTokenTtl: '15m',
  idleTtl: '7d',
  absoluteTtl: '30d',
  reuseGraceSeconds: 10,
  revokeAllOnReuse: false,
  bindDevice: false,
  bindUserAgent: false,
  deviceBinding: 'optional',
  maxSessionsPerUser: 100,
  bcryptRounds: 12,
  redisKeyPrefix: 'session-auth:',
  revocationAckTimeoutMs: 250,
  refreshTransport: 'cookie',
  cookieName: 'refresh_token',
  cookiePath: `/${DEFAULT_ROUTE_PATH}`,
  cookieSecure: true,
  touchDebounceSeconds: 60,
  cleanupCron: '0 */15 * * * *',
  cleanupLockTtl: '60s',
  metrics: false,
  openApi: false,
} as const satisfies SessionAuthOptions;

/** Thrown at start-up when an option is wrong; the message names the option. */
export class SessionAuthOptionsError extends Error {
  constructor(option: string, problem: string) {
    super(`SessionAuthModule option "${option}" ${problem}`);
    this.name = 'SessionAuthOptionsError';
  }
}
