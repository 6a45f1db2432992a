import type { IssuedSession } from './types.js';

/** An access token as the client holds it: in memory only. */
export interface Access {
  readonly token: string;
  readonly sessionId: string;
  readonly userId: string;
  /** Local clock time it arrived (tabs of one browser share the clock). */
  readonly receivedAt: number;
  readonly lifetimeMs: number;
}

interface Claims {
  sub?: unknown;
  sid?: unknown;
  iat?: unknown;
  exp?: unknown;
}

export function accessOf(issued: IssuedSession, receivedAt: number): Access {
  const claims = readClaims(issued.accessToken);
  return {
    token: issued.accessToken,
    sessionId: issued.session.id,
    userId: typeof claims.sub === 'string' ? claims.sub : '',
    receivedAt,
    lifetimeMs: lifetimeOf(claims, issued.accessTokenExpiresAt, receivedAt),
  };
}

export function expiresAt(access: Access): number {
  return access.receivedAt + access.lifetimeMs;
}

/** When to refresh: a quarter of the lifetime early (1 s to 1 min, never more than half of it). */
export function dueAt(access: Access): number {
  const lead = Math.min(Math.max(access.lifetimeMs / 4, 1_000), 60_000, access.lifetimeMs / 2);
  return expiresAt(access) - lead;
}

/**
 * The lifetime from the token's own `iat`/`exp`, counted on the local clock from its arrival, so a
 * browser clock that is off does not matter; else from the server's `accessTokenExpiresAt`.
 */
function lifetimeOf(claims: Claims, expiresAtIso: string, receivedAt: number): number {
  const { iat, exp } = claims;
  if (typeof iat === 'number' && typeof exp === 'number' && exp > iat) return (exp - iat) * 1000;
  return Math.max(1_000, Date.parse(expiresAtIso) - receivedAt);
}

/** The JWT's payload, unverified (the server verifies; the client only schedules with it). */
function readClaims(token: string): Claims {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims: unknown = JSON.parse(atob(part));
    return typeof claims === 'object' && claims !== null ? (claims as Claims) : {};
  } catch {
    return {};
  }
}
