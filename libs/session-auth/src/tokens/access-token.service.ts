import { createSecretKey, type KeyObject, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import jwt, { type Algorithm } from 'jsonwebtoken';
import { SessionAuthError } from '../errors/session-auth.error.js';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';
import { type Clock, DatabaseClock } from '../clock/database-clock.js';
import { BoundedMap } from '../utils/bounded-map.js';
import { signHs256, verifyHs256 } from './hs256-jwt.js';

/** Claims of an access token, as verified. */
export interface AccessTokenClaims {
  sub: string;
  sid: string;
  jti: string;
  iat: number;
  exp: number;
  /** Confirmation (RFC 9449 section 6.1): the thumbprint of the device key the session is bound to. */
  cnf?: { jkt: string };
}

/** Tolerated difference between the clocks of the instance that signed a token and the one checking it. */
const MAX_CLOCK_SKEW_MS = 60_000;

/** Verified tokens remembered, so a client's repeated requests skip the signature check. */
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * Signs and verifies access JWTs with a pinned algorithm: HS256 (the default) with node:crypto
 * (hs256-jwt.ts), RS256 and ES256 with jsonwebtoken itself (@nestjs/jwt, a wrapper of it, ships ES
 * modules only from v12, which a Nest 11 app's Jest cannot load).
 */
@Injectable()
export class AccessTokenService {
  /**
   * Token string → its verified claims. Keyed by the whole token (signature included), so an entry
   * can only ever answer for the exact bytes that passed verification; expiry is re-checked on use.
   */
  private readonly verified = new BoundedMap<AccessTokenClaims>(VERIFIED_CACHE_SIZE);
  private readonly signingKey: KeyObject;
  private readonly verifyingKey: KeyObject;
  private readonly algorithms: Algorithm[];

  constructor(
    @Inject(SESSION_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedSessionAuthOptions,
    /** iat, exp and their checks follow the database's clock, like every other lifetime. */
    @Inject(DatabaseClock) private readonly clock: Clock,
  ) {
    // KeyObjects skip jsonwebtoken's per-call key parsing: ~60x faster verification than a string secret.
    if (options.algorithm === 'HS256') {
      this.signingKey = this.verifyingKey = createSecretKey(
        Buffer.from(options.jwtSecret!, 'utf8'),
      );
    } else {
      this.signingKey = options.jwtKeys!.privateKey;
      this.verifyingKey = options.jwtKeys!.publicKey;
    }
    this.algorithms = [options.algorithm];
  }

  /**
   * Issues an access token for a session; returns it with its expiry. `keyThumbprint`: the
   * session's device key, carried as `cnf.jkt`.
   */
  sign(
    userId: string,
    sessionId: string,
    keyThumbprint?: string | null,
  ): { token: string; expiresAt: Date } {
    const nowSeconds = Math.floor(this.clock.now() / 1000);
    const exp = nowSeconds + Math.round(this.options.accessTokenTtl);
    const claims: Record<string, unknown> = {
      sub: userId,
      sid: sessionId,
      jti: randomUUID(),
      iat: nowSeconds,
      exp,
    };
    if (keyThumbprint) claims.cnf = { jkt: keyThumbprint };
    const { issuer, audience, algorithm } = this.options;
    if (algorithm === 'HS256') {
      if (audience) claims.aud = audience;
      if (issuer) claims.iss = issuer;
      return { token: signHs256(claims, this.signingKey), expiresAt: new Date(exp * 1000) };
    }
    const token = jwt.sign(claims, this.signingKey, {
      algorithm,
      ...(issuer ? { issuer } : {}),
      ...(audience ? { audience } : {}),
    });
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** Verifies signature, algorithm, expiry, iss and aud; throws ACCESS_TOKEN_INVALID or _EXPIRED. */
  verify(token: string): AccessTokenClaims {
    const known = this.verified.get(token);
    if (known) {
      if (known.exp * 1000 > this.clock.now()) return known;
      this.verified.delete(token);
      throw new SessionAuthError('ACCESS_TOKEN_EXPIRED');
    }
    const claims = this.verifySignature(token);
    this.verified.set(token, claims);
    return claims;
  }

  private verifySignature(token: string): AccessTokenClaims {
    const claims = this.verifiedPayload(token);
    if (
      typeof claims.sub !== 'string' ||
      typeof claims.sid !== 'string' ||
      typeof claims.exp !== 'number'
    ) {
      throw new SessionAuthError('ACCESS_TOKEN_INVALID');
    }
    // We never issue tokens from the future; one that claims to be is forged or from a broken clock.
    if (
      typeof claims.iat !== 'number' ||
      claims.iat * 1000 > this.clock.now() + MAX_CLOCK_SKEW_MS
    ) {
      throw new SessionAuthError('ACCESS_TOKEN_INVALID');
    }
    return claims as AccessTokenClaims;
  }

  /** The payload once signature, algorithm, nbf, exp, iss and aud are checked. */
  private verifiedPayload(token: string): Partial<AccessTokenClaims> {
    if (this.options.algorithm === 'HS256') {
      const payload = verifyHs256(token, this.verifyingKey, {
        nowSeconds: Math.floor(this.clock.now() / 1000),
        issuer: this.options.issuer || undefined,
        audience: this.options.audience || undefined,
      });
      if (payload === 'expired') throw new SessionAuthError('ACCESS_TOKEN_EXPIRED');
      if (payload === 'invalid') throw new SessionAuthError('ACCESS_TOKEN_INVALID');
      return payload as Partial<AccessTokenClaims>;
    }
    try {
      return jwt.verify(token, this.verifyingKey, {
        algorithms: this.algorithms,
        clockTimestamp: Math.floor(this.clock.now() / 1000),
        ...(this.options.issuer ? { issuer: this.options.issuer } : {}),
        ...(this.options.audience ? { audience: this.options.audience } : {}),
      }) as Partial<AccessTokenClaims>;
    } catch (error) {
      if ((error as Error).name === 'TokenExpiredError')
        throw new SessionAuthError('ACCESS_TOKEN_EXPIRED');
      throw new SessionAuthError('ACCESS_TOKEN_INVALID');
    }
  }
}
