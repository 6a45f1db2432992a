import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { BoundedMap } from '../utils/bounded-map.js';

/** An EC P-256 public key as a JWK (RFC 7517): the only kind of device key accepted. */
export interface DevicePublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

/** A device key after its checks: the JWK, its RFC 7638 thumbprint and a KeyObject to verify with. */
export interface DeviceKey {
  jwk: DevicePublicJwk;
  /** base64url SHA-256 of the canonical JWK (RFC 7638), 43 characters. */
  thumbprint: string;
  key: KeyObject;
}

/** JWK members that only a private (or symmetric) key has: a proof carrying one is refused. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
/** Members a public JWK may carry besides kty, crv, x, y. */
const OPTIONAL_MEMBERS = new Set(['alg', 'use', 'kid', 'key_ops', 'ext']);
/** A P-256 coordinate: 32 bytes, 43 base64url characters. */
const COORDINATE = /^[A-Za-z0-9_-]{43}$/;
/** More members than a public EC key has is not a key we take. */
const MAX_MEMBERS = 9;
/**
 * Keys already read, by their coordinates: a device signs every proof with the same key, and
 * building a KeyObject from a JWK costs more than the signature check itself.
 */
const knownKeys = new BoundedMap<DeviceKey>(10_000);

/**
 * Checks a JWK from a proof header: an EC P-256 public key and nothing else (no private members,
 * no other key type, no oversized or malformed coordinates, a point on the curve). Returns the
 * key with its thumbprint, or the problem as text.
 */
export function readDeviceJwk(value: unknown): DeviceKey | string {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'jwk is not an object';
  const jwk = value as Record<string, unknown>;
  const members = Object.keys(jwk);
  if (members.length > MAX_MEMBERS) return 'jwk has too many members';
  if (PRIVATE_MEMBERS.some((m) => m in jwk)) return 'jwk carries private key material';
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') return 'jwk must be an EC P-256 key';
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') return 'jwk lacks x or y';
  if (!COORDINATE.test(jwk.x) || !COORDINATE.test(jwk.y)) return 'jwk coordinates are malformed';
  if (members.some((m) => !['kty', 'crv', 'x', 'y'].includes(m) && !OPTIONAL_MEMBERS.has(m)))
    return 'jwk has unknown members';
  const known = knownKeys.get(`${jwk.x}.${jwk.y}`);
  if (known) return known;
  const publicJwk: DevicePublicJwk = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
  let key: KeyObject;
  try {
    // Refuses a point that is not on the curve.
    key = createPublicKey({ key: { ...publicJwk }, format: 'jwk' });
  } catch {
    return 'jwk is not a valid P-256 public key';
  }
  const read = { jwk: publicJwk, thumbprint: jwkThumbprint(publicJwk), key };
  knownKeys.set(`${jwk.x}.${jwk.y}`, read);
  return read;
}

/** The RFC 7638 thumbprint: SHA-256 over the required members in lexical order, no whitespace. */
export function jwkThumbprint(jwk: DevicePublicJwk): string {
  const canonical = `{"crv":"${jwk.crv}","kty":"${jwk.kty}","x":"${jwk.x}","y":"${jwk.y}"}`;
  return createHash('sha256').update(canonical).digest('base64url');
}
