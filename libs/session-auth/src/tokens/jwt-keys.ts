import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

/** The key pair of an asymmetric algorithm, as KeyObjects. */
export interface JwtKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const KEY_TYPE = { RS256: 'rsa', ES256: 'ec' } as const;

/**
 * Parses the key pair and proves at start-up that it fits the algorithm and that the public key
 * verifies what the private key signs, so a wrong pair fails the boot, not the first sign-in.
 * Returns the problem as text, or the parsed pair.
 */
export function checkKeyPair(
  algorithm: 'RS256' | 'ES256',
  keys: { privateKey: string | KeyObject; publicKey: string | KeyObject },
): JwtKeyPair | string {
  let pair: JwtKeyPair;
  try {
    pair = {
      privateKey:
        typeof keys.privateKey === 'string' ? createPrivateKey(keys.privateKey) : keys.privateKey,
      publicKey:
        typeof keys.publicKey === 'string' ? createPublicKey(keys.publicKey) : keys.publicKey,
    };
  } catch (error) {
    return `cannot be read as keys (${(error as Error).message})`;
  }
  const expected = KEY_TYPE[algorithm];
  if (
    pair.privateKey.asymmetricKeyType !== expected ||
    pair.publicKey.asymmetricKeyType !== expected
  ) {
    return `must be ${expected.toUpperCase()} keys for ${algorithm}`;
  }
  if (algorithm === 'ES256' && pair.publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    return 'must be on curve P-256 for ES256';
  }
  const probe = Buffer.from('session-auth key check');
  if (!verify('sha256', probe, pair.publicKey, sign('sha256', probe, pair.privateKey))) {
    return 'publicKey does not belong to privateKey';
  }
  return pair;
}
