import { createHmac } from 'node:crypto';

// Hand-built JWTs for the token-forgery tests: nothing here trusts a JWT library, so a bug in the
// server's verification cannot be hidden by the same bug in the test.

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signature: string;
}

export function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

export function decodeJwt(token: string): DecodedJwt {
  const [header, payload, signature] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')),
    signature,
  };
}

/** header.payload, base64url-encoded, without a signature. */
export function signingInput(header: object, payload: object): string {
  return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
}

/** An HMAC-signed JWT (HS256 by default) built by hand. */
export function signHmacJwt(
  payload: object,
  secret: string,
  alg: 'HS256' | 'HS384' | 'HS512' = 'HS256',
  header: object = {},
): string {
  const input = signingInput({ ...header, alg, typ: 'JWT' }, payload);
  const digest = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg];
  return `${input}.${createHmac(digest, secret).update(input).digest('base64url')}`;
}

/** The `alg: none` attack: an unsigned token with an empty signature. */
export function unsignedJwt(payload: object): string {
  return `${signingInput({ alg: 'none', typ: 'JWT' }, payload)}.`;
}

/** Changes the payload of a real token but keeps its original signature. */
export function tamperJwt(
  token: string,
  change: (payload: Record<string, unknown>) => object,
): string {
  const { header, payload, signature } = decodeJwt(token);
  return `${signingInput(header, change({ ...payload }))}.${signature}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
