import type { JwtKeyPair } from './jwt-keys.js';
import { type RefreshKey, refreshKeysFrom } from './refresh-token.crypto.js';

/**
 * The refresh-token MAC keys: from `refreshTokenSecrets` (the first signs, every one verifies),
 * else derived from the access-token signing secret or private key (HKDF with a label of its own,
 * so the two keys differ). Returns the problem as text, or the keys.
 */
export function resolveRefreshKeys(
  secrets: unknown,
  jwtSecret: string | undefined,
  jwtKeys: JwtKeyPair | undefined,
  acceptDerived = false,
): RefreshKey[] | string {
  const derived = () =>
    refreshKeysFrom([
      jwtKeys
        ? jwtKeys.privateKey.export({ format: 'der', type: 'pkcs8' })
        : Buffer.from(jwtSecret!),
    ]);
  if (secrets === undefined) return derived();
  if (
    !Array.isArray(secrets) ||
    secrets.length === 0 ||
    !secrets.every((s) => typeof s === 'string' && Buffer.byteLength(s) >= 32)
  ) {
    return 'must be a non-empty list of strings of at least 32 bytes each';
  }
  // The derived key last: it verifies the tokens signed before the move, and never signs.
  return [...refreshKeysFrom(secrets as string[]), ...(acceptDerived ? derived() : [])];
}
