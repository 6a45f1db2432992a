import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Refresh tokens are derived, not stored: a token names its session and generation and carries a
 * 256-bit HMAC-SHA256 over them and the session's random nonce, under a key of its own.
 *
 *   version (1) | key id (1) | session id (16) | generation (4, big-endian) | nonce (16) | MAC (32)
 *
 * 70 bytes, 94 base64url characters. The session row keeps only the live generation and the
 * nonce; forging a token takes both the key and the nonce (see docs/security.md).
 */
const VERSION = 1;
const NONCE_BYTES = 16;
const MAC_BYTES = 32;
const BODY_BYTES = 1 + 1 + 16 + 4 + NONCE_BYTES;
const TOKEN_BYTES = BODY_BYTES + MAC_BYTES;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{94}$/;
const MAC_CONTEXT = Buffer.from('session-auth/refresh-token/v1');
const KEY_INFO = 'session-auth/refresh-token-key/v1';

/** A MAC key and the one-byte id a token names it by. */
export interface RefreshKey {
  id: number;
  key: Buffer;
}

/** What a verified token says. */
export interface RefreshTokenClaims {
  sessionId: string;
  generation: number;
  nonce: Buffer;
}

/**
 * The MAC keys, the first signing: each configured secret through HKDF, so the key's bytes never
 * equal the secret's. A key's id is the first byte of its SHA-256 (order-independent).
 */
export function refreshKeysFrom(secrets: readonly (string | Buffer)[]): RefreshKey[] {
  return secrets.map((secret) => {
    const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), KEY_INFO, 32));
    return { id: createHash('sha256').update(key).digest()[0], key };
  });
}

/** A fresh per-session nonce: 128 bits from the CSPRNG. */
export function generateNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

/** The token of `generation` of a session, under `key` (the same inputs always give the same token). */
export function mintRefreshToken(
  key: RefreshKey,
  sessionId: string,
  generation: number,
  nonce: Buffer,
): string {
  const body = Buffer.alloc(BODY_BYTES);
  body[0] = VERSION;
  body[1] = key.id;
  Buffer.from(sessionId.replace(/-/g, ''), 'hex').copy(body, 2);
  body.writeUInt32BE(generation, 18);
  nonce.copy(body, 22);
  return Buffer.concat([body, mac(key.key, body)]).toString('base64url');
}

/** The claims of a token this server issued under one of `keys`; `undefined` for anything else. */
export function readRefreshToken(
  raw: string,
  keys: readonly RefreshKey[],
): RefreshTokenClaims | undefined {
  if (!TOKEN_PATTERN.test(raw)) return undefined;
  const bytes = Buffer.from(raw, 'base64url');
  if (bytes.length !== TOKEN_BYTES || bytes[0] !== VERSION) return undefined;
  // 94 characters carry 4 bits more than 70 bytes: only the spelling we mint (those bits zero) is
  // accepted, so one token has one spelling.
  if (bytes.toString('base64url') !== raw) return undefined;
  const body = bytes.subarray(0, BODY_BYTES);
  const presented = bytes.subarray(BODY_BYTES);
  // Every key with the id is tried (ids are one byte), each compared in constant time.
  const valid = keys.some((k) => k.id === body[1] && timingSafeEqual(mac(k.key, body), presented));
  if (!valid) return undefined;
  const hex = body.subarray(2, 18).toString('hex');
  return {
    sessionId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
    generation: body.readUInt32BE(18),
    nonce: Buffer.from(body.subarray(22)),
  };
}

/** A shape check before any work: a string of the form we issue. */
export function looksLikeRefreshToken(raw: unknown): raw is string {
  return typeof raw === 'string' && TOKEN_PATTERN.test(raw);
}

function mac(key: Buffer, body: Buffer): Buffer {
  return createHmac('sha256', key).update(MAC_CONTEXT).update(body).digest();
}
