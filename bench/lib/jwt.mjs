// HS256 access tokens signed here with the run's JWT secret (node:crypto, no JWT library), so
// sessions inserted straight into the database can authenticate without a login each.
import { createHmac, randomUUID } from 'node:crypto';

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/** A token with the claims the library issues: sub, sid, jti, iat, exp. */
export function signAccessToken(secret, userId, sessionId, ttlSeconds = 3600) {
  const iat = Math.floor(Date.now() / 1000);
  const payload = { sub: userId, sid: sessionId, jti: randomUUID(), iat, exp: iat + ttlSeconds };
  const input = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
