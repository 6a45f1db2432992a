// Hand-built JWTs (node:crypto, no JWT library), shared by the e2e tests and the benchmarks. The
// forgery tests use them because nothing here trusts a JWT library, so a bug in the server's
// verification cannot be hidden by the same bug in the test; the benchmarks sign access tokens for
// sessions inserted straight into the database, so they authenticate without a login each.
// Plain ESM so that node runs it as is for bench/; types in jwt.d.mts.
import { createHmac, randomUUID } from 'node:crypto';

export function base64url(value) {
  return Buffer.from(value).toString('base64url');
}

export function decodeJwt(token) {
  const [header, payload, signature] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')),
    signature,
  };
}

/** header.payload, base64url-encoded, without a signature. */
export function signingInput(header, payload) {
  return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
}

/** An HMAC-signed JWT (HS256 by default) built by hand. */
export function signHmacJwt(payload, secret, alg = 'HS256', header = {}) {
  const input = signingInput({ ...header, alg, typ: 'JWT' }, payload);
  const digest = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg];
  return `${input}.${createHmac(digest, secret).update(input).digest('base64url')}`;
}

/** An access token with the claims the library issues: sub, sid, jti, iat, exp. */
export function signAccessToken(secret, userId, sessionId, ttlSeconds = 3600) {
  const iat = nowSeconds();
  const payload = { sub: userId, sid: sessionId, jti: randomUUID(), iat, exp: iat + ttlSeconds };
  return signHmacJwt(payload, secret);
}

/** The `alg: none` attack: an unsigned token with an empty signature. */
export function unsignedJwt(payload) {
  return `${signingInput({ alg: 'none', typ: 'JWT' }, payload)}.`;
}

/** Changes the payload of a real token but keeps its original signature. */
export function tamperJwt(token, change) {
  const { header, payload, signature } = decodeJwt(token);
  return `${signingInput(header, change({ ...payload }))}.${signature}`;
}

export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}
