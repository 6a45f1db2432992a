import { verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** A compact JWS split and parsed, not yet verified. */
export interface ParsedJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** `base64url(header) + '.' + base64url(payload)`: what the signature covers. */
  signingInput: string;
  signature: Buffer;
}

/** Longest proof or registration JWT accepted (a P-256 proof is about 600 characters). */
export const MAX_JWS_LENGTH = 4096;
const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** Splits and parses a compact JWS; the problem as text for anything malformed. */
export function parseCompactJws(raw: unknown): ParsedJws | string {
  if (typeof raw !== 'string' || raw.length === 0) return 'not a string';
  if (raw.length > MAX_JWS_LENGTH) return 'too long';
  const parts = raw.split('.');
  if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) return 'not a compact JWS';
  const header = parseSegment(parts[0]);
  const payload = parseSegment(parts[1]);
  if (!header || !payload) return 'header or payload is not a JSON object';
  return {
    header,
    payload,
    signingInput: `${parts[0]}.${parts[1]}`,
    signature: Buffer.from(parts[2], 'base64url'),
  };
}

/** ES256 signature check (JWS signatures are r || s, 64 bytes, not DER). */
export function verifyEs256(jws: ParsedJws, key: KeyObject): boolean {
  if (jws.signature.length !== 64) return false;
  try {
    return verify(
      'sha256',
      Buffer.from(jws.signingInput),
      { key, dsaEncoding: 'ieee-p1363' },
      jws.signature,
    );
  } catch {
    return false;
  }
}

function parseSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
