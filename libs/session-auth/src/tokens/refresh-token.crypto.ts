import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

const TOKEN_BYTES = 32; // 256 bits from the CSPRNG
const SEAL_INFO = 'session-auth/grace-successor/v1';

/** A new opaque refresh token: 256 random bits, base64url. */
export function generateRefreshToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** What the database stores instead of the token: hex SHA-256. */
export function hashRefreshToken(raw: string): string {
  return createHash('sha256').update(raw).digest('hex');
}

/** A shape check before any database work; a token we could not have issued is simply invalid. */
export function looksLikeRefreshToken(raw: unknown): raw is string {
  return typeof raw === 'string' && /^[A-Za-z0-9_-]{43}$/.test(raw);
}

function sealKey(spentRaw: string): Buffer {
  return Buffer.from(hkdfSync('sha256', spentRaw, Buffer.alloc(0), SEAL_INFO, 32));
}

/**
 * Seals the successor under a key only the holder of the spent token can derive, so the database
 * alone never yields a live token, yet a retry with the spent token recovers the same successor.
 */
export function sealSuccessor(spentRaw: string, successorRaw: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(spentRaw), iv);
  const body = Buffer.concat([cipher.update(successorRaw, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** Opens a sealed successor; `undefined` if it was not sealed for this token. */
export function openSuccessor(spentRaw: string, sealed: Buffer): string | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealKey(spentRaw), sealed.subarray(0, 12), {
      authTagLength: 16,
    });
    decipher.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
